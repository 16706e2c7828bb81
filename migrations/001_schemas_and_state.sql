-- Up Migration
-- pgtide's state: the two schemas, the table of managed tables, the run log and the
-- bookkeeping of partitions that left their parent. Code lives in plpgsql/, never here.

create schema if not exists _tide;
create schema if not exists tide;
comment on schema tide is 'pgtide: partition lifecycle manager — the functions, procedures and views a DBA uses';
comment on schema _tide is 'pgtide internals: state tables and helpers; not an interface';

-- The product's roles. Roles are cluster-wide, so they are created only when missing and
-- only when the installing role may create roles; uninstall never drops them.
do $roles$
begin
  if not exists (select from pg_catalog.pg_roles where rolname = 'tide_admin') then
    create role tide_admin nologin;
  end if;
  if not exists (select from pg_catalog.pg_roles where rolname = 'tide_monitor') then
    create role tide_monitor nologin;
  end if;
exception when insufficient_privilege then
  raise notice 'pgtide: roles tide_admin / tide_monitor not created (no CREATEROLE); grant access by hand';
end
$roles$;

create table _tide.installation (
  singleton      boolean primary key default true constraint installation_singleton check (singleton),
  version        text not null,
  source_sha256  text not null,
  installed_at   timestamptz not null default now(),
  upgraded_at    timestamptz
);

create table _tide.managed_tables (
  parent             regclass primary key,
  parent_schema      name not null,
  parent_name        name not null,
  control            name not null,
  control_type       regtype not null,
  every              text not null,
  every_interval     interval,
  every_int          bigint,
  premake            integer not null default 4,
  keep               text,
  keep_interval      interval,
  keep_int           bigint,
  on_expire          text not null default 'drop',
  time_zone          text not null default 'UTC',
  default_partition  boolean not null default true,
  enabled            boolean not null default true,
  lock_timeout       interval not null default '100 milliseconds',
  lock_retries       integer not null default 5,
  detach_schema      name,
  archive_target     text,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  constraint managed_tables_on_expire check (on_expire in ('drop', 'detach', 'archive')),
  constraint managed_tables_every_kind check ((every_interval is null) <> (every_int is null)),
  constraint managed_tables_premake check (premake between 1 and 1000),
  constraint managed_tables_lock_retries check (lock_retries between 0 and 100)
);
comment on table _tide.managed_tables is 'One row per table pgtide manages; edited through the view tide.config';

create table _tide.runs (
  run_id          bigint generated always as identity primary key,
  started_at      timestamptz not null default clock_timestamp(),
  finished_at     timestamptz,
  as_of           timestamptz not null,
  only_parent     regclass,
  outcome         text not null default 'running',
  tables_ok       integer not null default 0,
  tables_skipped  integer not null default 0,
  tables_failed   integer not null default 0,
  constraint runs_outcome check (outcome in ('running', 'ok', 'partial', 'failed', 'skipped'))
);
comment on table _tide.runs is 'One row per call of tide.run_maintenance';

create table _tide.log (
  log_id      bigint generated always as identity primary key,
  run_id      bigint references _tide.runs (run_id) on delete cascade,
  logged_at   timestamptz not null default clock_timestamp(),
  parent_oid  oid,
  parent      text,
  action      text not null,
  partition   text,
  rows        bigint,
  duration    interval,
  outcome     text not null,
  sqlstate    text,
  message     text,
  detail      text,
  constraint log_outcome check (outcome in ('ok', 'skipped', 'busy', 'lock_timeout', 'error'))
);
create index log_parent_logged_at on _tide.log (parent_oid, logged_at desc);
create index log_run_id on _tide.log (run_id);
comment on table _tide.log is 'Every maintenance action; shown as tide.maintenance_log, pruned by maintenance';

create table _tide.detached (
  partition    regclass primary key,
  parent_oid   oid not null,
  parent       text not null,
  lower_bound  text,
  upper_bound  text,
  reason       text not null default 'retention',
  detached_at  timestamptz not null default now()
);
comment on table _tide.detached is 'Partitions retention detached and kept as plain tables';

create table _tide.settings (
  name   text primary key,
  value  text not null,
  constraint settings_name check (name ~ '^[a-z_]+$')
);
insert into _tide.settings (name, value) values
  ('log_retention', '30 days'),
  ('cron_job_name', 'pgtide-maintenance'),
  ('cron_schedule', '*/10 * * * *');
comment on table _tide.settings is 'Product-wide settings (log retention, the pg_cron job name)';

create table _tide.catalog_objects (
  kind        text not null,
  identity    text not null,
  definition_md5  text not null,
  constraint catalog_objects_pkey primary key (kind, identity)
);
comment on table _tide.catalog_objects is 'What the last install created in tide and _tide, for pgtide doctor';

-- Down Migration
drop schema if exists tide cascade;
drop schema if exists _tide cascade;
