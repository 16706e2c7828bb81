-- Up Migration
-- The archive queue: partitions that retention detached for archiving, and each one's
-- progress to a verified Parquet object. A partition is dropped only from state 'verified'.

create table _tide.archives (
  archive_id        bigint generated always as identity primary key,
  parent_oid        oid not null,
  parent            text not null,
  partition         regclass,
  partition_name    text not null,
  lower_bound       text,
  upper_bound       text,
  rows              bigint,
  bytes             bigint,
  state             text not null default 'pending',
  target_uri        text,
  file_bytes        bigint,
  file_sha256       text,
  content_checksum  text,
  attempts          integer not null default 0,
  queued_at         timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  verified_at       timestamptz,
  dropped_at        timestamptz,
  error             text,
  constraint archives_state check (state in ('pending', 'exporting', 'exported', 'verified', 'dropped', 'failed'))
);
create unique index archives_partition_name on _tide.archives (partition_name) where state <> 'dropped';
create index archives_state on _tide.archives (state, queued_at);
comment on table _tide.archives is 'Archive queue for on_expire => archive; shown as tide.archives';

-- Down Migration
drop table if exists _tide.archives;
