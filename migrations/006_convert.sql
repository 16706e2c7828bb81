-- Up Migration
-- State of tide.convert / tide.split_legacy / tide.unconvert: which legacy partition each converted
-- table carries, and how far an online split or an unconvert has come (so both resume after a kill).

create table _tide.legacy (
  parent             regclass primary key,
  parent_oid         oid not null,
  legacy             regclass,
  legacy_name        text not null,
  lower_bound        text not null,
  upper_bound        text not null,
  rows_at_convert    bigint,
  bytes_at_convert   bigint,
  converted_at       timestamptz not null default now(),
  swap_lock_ms       numeric,
  split_rows_total   bigint,
  rows_moved         bigint not null default 0,
  rows_expired       bigint not null default 0,
  split_started_at   timestamptz,
  split_finished_at  timestamptz,
  state              text not null default 'attached',
  constraint legacy_state check (state in ('attached', 'splitting', 'split'))
);
comment on table _tide.legacy is 'One row per table tide.convert turned into a partitioned table: its legacy partition and split progress';

create table _tide.unconverts (
  parent         regclass primary key,
  parent_oid     oid not null,
  parent_name    text not null,
  target         regclass not null,
  key_columns    name[] not null,
  was_enabled    boolean not null,
  started_at     timestamptz not null default now(),
  rows_total     bigint not null default 0,
  rows_copied    bigint not null default 0,
  rows_replayed  bigint not null default 0,
  constraint unconverts_target_unique unique (target)
);
comment on table _tide.unconverts is 'tide.unconvert in progress: the plain table being filled for each parent and the key used to copy and replay';

create table _tide.unconvert_progress (
  parent        regclass not null references _tide.unconverts (parent) on delete cascade,
  partition     regclass not null,
  last_key      text[],
  rows_copied   bigint not null default 0,
  done          boolean not null default false,
  constraint unconvert_progress_pkey primary key (parent, partition)
);
comment on table _tide.unconvert_progress is 'Per-partition copy cursor of a tide.unconvert in progress: the key (as text) of the last row copied';

create table _tide.unconvert_changes (
  change_id  bigint generated always as identity primary key,
  parent     regclass not null,
  relid      oid not null,
  op         text not null,
  old_row    text,
  new_row    text,
  constraint unconvert_changes_op check (op in ('INSERT', 'UPDATE', 'DELETE'))
);
create index unconvert_changes_parent on _tide.unconvert_changes (parent, change_id);
comment on table _tide.unconvert_changes is 'Rows written through a table while tide.unconvert copies it (by its capture trigger), replayed into the plain table';

-- Down Migration
drop table if exists _tide.unconvert_changes;
drop table if exists _tide.unconvert_progress;
drop table if exists _tide.unconverts;
drop table if exists _tide.legacy;
