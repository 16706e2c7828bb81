-- The original runbook's operational functions, kept by name so its troubleshooting steps still work
-- in psql, each a thin wrapper over pgtide. They run with the caller's rights and find audit_log
-- through the search_path in force when this file was applied (SET search_path FROM CURRENT).

-- Make the partitions for the current month and the months ahead now, instead of waiting for the
-- next maintenance run. Returns the partitions it created (none when all were there).
create or replace function create_audit_log_partitions(months_ahead integer default null)
returns table (partition_name text)
language plpgsql
set search_path from current
as $fn$
declare
  ahead     integer;
  zone      text;
  through   timestamp;
  before    text[];
begin
  select c.premake, c.time_zone into ahead, zone from tide.config c where c.parent = 'audit_log'::regclass;
  if not found then
    raise exception using
      errcode = 'TD001',
      message = format('table %s is not managed by pgtide', 'audit_log'::regclass),
      detail  = 'create_audit_log_partitions() asks pgtide to make the partitions, and pgtide has no settings for this table.',
      hint    = 'Apply examples/audit_log/03_manage.sql (or pgtide audit-log create) first.';
  end if;
  if months_ahead is not null and (months_ahead < 0 or months_ahead > 120) then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format('create_audit_log_partitions: months_ahead %s is out of range', months_ahead),
      detail  = 'months_ahead counts the months after the current one that get a partition.',
      hint    = 'Pass 0 to 120, or nothing to use the table''s premake setting in tide.config.';
  end if;
  ahead := coalesce(months_ahead, ahead);
  -- Bounds are wall-clock times in the table's time zone: the first instant of the last month wanted.
  through := date_trunc('month', now() at time zone zone) + make_interval(months => ahead);

  select array_agg(c.relname::text) into before
    from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'audit_log'::regclass;

  perform tide.create_partitions('audit_log'::regclass, to_char(through, 'YYYY-MM-DD HH24:MI:SS'));

  return query
    select c.relname::text
      from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
     where i.inhparent = 'audit_log'::regclass
       and c.relname::text <> all (coalesce(before, '{}'))
     order by 1;
end
$fn$;
comment on function create_audit_log_partitions(integer) is
  'Runbook wrapper: make audit_log''s partitions through the current month plus months_ahead (default: premake from tide.config) via tide.create_partitions; returns the partitions created';

-- Retire every month whose whole range is older than retention_days, now, the way maintenance
-- does (on_expire from tide.config: drop, detach or archive). pgtide's keep counts whole months, so
-- the cut-off is moved to the start of its month (a month ends on a month start, so nothing changes)
-- and expressed as keep = K months before the instant as_of = cut-off month + K months, where
-- as_of is the current month's start (the next month's when the cut-off falls in this month, in
-- which case one more month ahead may be created, as the next run would anyway); that keep is set
-- for this call only, inside its transaction, so a concurrent maintenance run sees the configured one.
create or replace function drop_old_audit_partitions(retention_days integer)
returns table (partition_name text)
language plpgsql
set search_path from current
as $fn$
declare
  configured text;
  zone       text;
  cutoff     timestamp;   -- wall-clock month start in the table's time zone
  this_month timestamp;
  months     integer;
  before     text[];
begin
  if retention_days is null or retention_days < 1 then
    raise exception using
      errcode = 'invalid_parameter_value',
      message = format('drop_old_audit_partitions: retention_days %s is not a positive number of days', coalesce(retention_days::text, 'NULL')),
      detail  = 'Every month whose whole range is older than now() minus retention_days is retired.',
      hint    = 'Pass the number of days to keep online, e.g. drop_old_audit_partitions(730) for about 24 months.';
  end if;
  select c.keep, c.time_zone into configured, zone from tide.config c where c.parent = 'audit_log'::regclass;
  if not found then
    raise exception using
      errcode = 'TD001',
      message = format('table %s is not managed by pgtide', 'audit_log'::regclass),
      detail  = 'drop_old_audit_partitions() applies pgtide''s retention, and pgtide has no settings for this table.',
      hint    = 'Apply examples/audit_log/03_manage.sql (or pgtide audit-log create) first.';
  end if;

  cutoff := date_trunc('month', (now() - make_interval(days => retention_days)) at time zone zone);
  this_month := date_trunc('month', now() at time zone zone);
  months := greatest(1, (extract(year from age(this_month, cutoff)) * 12 + extract(month from age(this_month, cutoff)))::integer);

  select array_agg(c.relname::text) into before
    from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
   where i.inhparent = 'audit_log'::regclass;

  update tide.config c set keep = format('%s months', months) where c.parent = 'audit_log'::regclass;
  perform _tide.maintain_table('audit_log'::regclass, (cutoff + make_interval(months => months)) at time zone zone);
  update tide.config c set keep = configured where c.parent = 'audit_log'::regclass;

  return query
    select b.name
      from unnest(coalesce(before, '{}')) as b(name)
     where not exists (select from pg_catalog.pg_inherits i join pg_catalog.pg_class c on c.oid = i.inhrelid
                        where i.inhparent = 'audit_log'::regclass and c.relname::text = b.name)
     order by 1;
end
$fn$;
comment on function drop_old_audit_partitions(integer) is
  'Runbook wrapper: run pgtide retention on audit_log now, retiring every month wholly older than retention_days (on_expire as configured; keep overridden for this call only); returns the partitions retired';

-- One row per partition with its range, size and use, oldest first, the default partition last.
create or replace function get_audit_partition_stats()
returns table (
  partition_name  text,
  range_start     timestamptz,
  range_end       timestamptz,
  is_default      boolean,
  row_estimate    bigint,
  table_bytes     bigint,
  index_bytes     bigint,
  total_bytes     bigint,
  total_size      text,
  seq_scans       bigint,
  idx_scans       bigint,
  last_analyze    timestamptz)
language sql stable
set search_path from current
as $fn$
  select p.partition_name::text, lower(p.time_range), upper(p.time_range), p.is_default,
         p.row_estimate, p.table_bytes, p.index_bytes, p.total_bytes, pg_catalog.pg_size_pretty(p.total_bytes),
         p.seq_scans, p.idx_scans, greatest(p.last_analyze, p.last_autoanalyze)
    from tide.partitions p
   where p.parent = 'audit_log'::regclass and not p.detached
   order by p.is_default, lower(p.time_range);
$fn$;
comment on function get_audit_partition_stats() is
  'Runbook wrapper: audit_log''s partitions from tide.partitions with range, row estimate, sizes and scan counts, oldest first';
