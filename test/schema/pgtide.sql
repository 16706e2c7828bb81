
SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;
CREATE SCHEMA _tide;
COMMENT ON SCHEMA _tide IS 'pgtide internals: state tables and helpers; not an interface';
CREATE SCHEMA tide;
COMMENT ON SCHEMA tide IS 'pgtide: partition lifecycle manager — the functions, procedures and views a DBA uses';
CREATE FUNCTION _tide.archive_columns(tbl regclass) RETURNS TABLE(ordinal integer, column_name name, type_name text, kind text, canonical text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  select row_number() over (order by a.attnum)::integer,
         a.attname,
         format_type(a.atttypid, a.atttypmod),
         k.kind,
         case k.kind
           when 'boolean' then format($e$case %1$I when true then 't' when false then 'f' end$e$, a.attname)
           when 'float32' then format($e$encode(float4send(%1$I), 'hex')$e$, a.attname)
           when 'float64' then format($e$encode(float8send(%1$I), 'hex')$e$, a.attname)
           when 'timestamptz' then format($e$case when %1$I = 'infinity' then 'infinity' when %1$I = '-infinity' then '-infinity' else (extract(epoch from %1$I) * 1000000)::int8::text end$e$, a.attname)
           when 'timestamp' then format($e$case when %1$I = 'infinity' then 'infinity' when %1$I = '-infinity' then '-infinity' else (extract(epoch from %1$I) * 1000000)::int8::text end$e$, a.attname)
           when 'date' then format($e$case when %1$I = 'infinity' then 'infinity' when %1$I = '-infinity' then '-infinity' else (%1$I - date '1970-01-01')::text end$e$, a.attname)
           when 'bytea' then format($e$encode(%1$I, 'hex')$e$, a.attname)
           else format($e$%1$I::text$e$, a.attname)
         end
  from pg_attribute a
  join pg_type t on t.oid = a.atttypid
  cross join lateral (
    select case coalesce(nullif(t.typbasetype, 0), t.oid)
             when 'int2'::regtype then 'int16'
             when 'int4'::regtype then 'int32'
             when 'int8'::regtype then 'int64'
             when 'bool'::regtype then 'boolean'
             when 'float4'::regtype then 'float32'
             when 'float8'::regtype then 'float64'
             when 'timestamptz'::regtype then 'timestamptz'
             when 'timestamp'::regtype then 'timestamp'
             when 'date'::regtype then 'date'
             when 'bytea'::regtype then 'bytea'
             when 'jsonb'::regtype then 'json'
             when 'json'::regtype then 'json'
             when 'numeric'::regtype then 'numeric'
             else 'text'
           end as kind
  ) k
  where a.attrelid = tbl and a.attnum > 0 and not a.attisdropped
  order by a.attnum
$_$;
COMMENT ON FUNCTION _tide.archive_columns(tbl regclass) IS 'pgtide: per column of TBL, its Parquet kind and the SQL expression of its canonical text (archive checksum and exporter)';
CREATE FUNCTION _tide.archive_problems(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(parent text, "check" text, severity text, detail text, hint text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  with s as (
    select coalesce((select value::interval from _tide.settings where name = 'archive_pending_warning'), '1 day') as pending_warning,
           coalesce((select value::integer from _tide.settings where name = 'archive_max_attempts'), 5) as max_attempts
  )
  select a.parent, 'archive_backlog', 'warning',
         format('%s archive job(s) waiting longer than %s, oldest %s queued at %s',
                count(*), s.pending_warning, min(a.partition_name), min(a.queued_at)),
         'Run the exporter: pgtide archive --database-url … (or --watch)'
  from _tide.archives a, s
  where a.state in ('pending', 'exporting', 'exported') and a.queued_at < as_of - s.pending_warning
  group by a.parent, s.pending_warning
  union all
  select a.parent, 'archive_failed',
         case when a.attempts >= s.max_attempts then 'critical' else 'warning' end,
         format('archiving %s failed %s time(s): %s', a.partition_name, a.attempts, a.error),
         case when a.attempts >= s.max_attempts
              then 'Retries are exhausted: fix the cause, then UPDATE _tide.archives SET attempts = 0 WHERE archive_id = ' || a.archive_id
              else 'The exporter retries it; the partition is kept meanwhile.' end
  from _tide.archives a, s
  where a.state = 'failed'
$$;
COMMENT ON FUNCTION _tide.archive_problems(as_of timestamp with time zone) IS 'pgtide: archive backlog and failures as tide.health rows (parent, check, severity, detail, hint)';
CREATE FUNCTION _tide.archive_row_hash_sql(tbl regclass) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  -- Column i contributes hashtextextended(canonical text, seed i), or the constant i when NULL; the
  -- row's hash is the xor of its columns' (a per-column seed, so moving a value to another column
  -- changes it). COLLATE "C": hashing must not depend on a column's (possibly nondeterministic) collation.
  select '(' || string_agg(format($e$coalesce(pg_catalog.hashtextextended(c%1$s collate "C", %1$s), %1$s)$e$, ordinal), ' # ' order by ordinal) || ')'
  from _tide.archive_columns(tbl)
$_$;
COMMENT ON FUNCTION _tide.archive_row_hash_sql(tbl regclass) IS 'pgtide: the SQL expression that hashes one row of TBL (columns c1..cN holding canonical text) for the archive checksum';
CREATE FUNCTION _tide.catalog_drift() RETURNS TABLE(problem text, kind text, identity text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select case when live.identity is null then 'missing'
              when recorded.identity is null then 'stray'
              else 'altered' end,
         coalesce(recorded.kind, live.kind),
         coalesce(recorded.identity, live.identity)
  from _tide.catalog_objects recorded
  full join _tide.catalog_fingerprint() live
    on live.kind = recorded.kind and live.identity = recorded.identity
  where live.identity is null or recorded.identity is null
     or live.definition_md5 <> recorded.definition_md5
  order by 1, 2, 3
$$;
COMMENT ON FUNCTION _tide.catalog_drift() IS 'pgtide: objects in tide/_tide that are missing, altered or stray compared with the last install (pgtide doctor)';
CREATE FUNCTION _tide.catalog_fingerprint() RETURNS TABLE(kind text, identity text, definition_md5 text)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select case p.prokind when 'p' then 'procedure' else 'function' end,
         p.oid::regprocedure::text,
         md5(pg_get_functiondef(p.oid) || coalesce(array_to_string(p.proacl, ','), ''))
  from pg_proc p
  where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace)
    and p.prokind in ('f', 'p')
  union all
  select case c.relkind when 'v' then 'view' when 'r' then 'table' when 'i' then 'index' when 'S' then 'sequence' else c.relkind::text end,
         c.oid::regclass::text,
         md5(case c.relkind when 'v' then pg_get_viewdef(c.oid) else
               coalesce((select string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' order by a.attnum)
                         from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '')
             end || coalesce(array_to_string(c.relacl, ','), ''))
  from pg_class c
  where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace)
    and c.relkind in ('r', 'v', 'i', 'S')
  union all
  select 'trigger', t.tgname || ' on ' || t.tgrelid::regclass::text, md5(pg_get_triggerdef(t.oid))
  from pg_trigger t join pg_class c on c.oid = t.tgrelid
  where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace) and not t.tgisinternal
$$;
COMMENT ON FUNCTION _tide.catalog_fingerprint() IS 'pgtide: every object in tide and _tide with an md5 of its definition and privileges (used by install and doctor)';
CREATE FUNCTION _tide.check_managed_table() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  parsed record;
begin
  -- maintenance's own bookkeeping (when the table is next due) is not a settings change
  if tg_op = 'UPDATE' and (to_jsonb(new) - 'next_due_at' - 'due_signature') = (to_jsonb(old) - 'next_due_at' - 'due_signature') then
    return new;
  end if;
  if tg_op = 'UPDATE' then
    if new.parent is distinct from old.parent or new.control is distinct from old.control
       or new.control_type is distinct from old.control_type or new.every is distinct from old.every
       or new.every_interval is distinct from old.every_interval or new.every_int is distinct from old.every_int
       or new.time_zone is distinct from old.time_zone then
      raise exception using errcode = '22023',
        message = format('the partition grid of %s cannot be changed', old.parent),
        detail = 'parent, control, every and time_zone define where partition edges lie; existing partitions depend on them.',
        hint = 'Call tide.unmanage() and tide.manage() again with the new settings.';
    end if;
  end if;
  if new.premake is null or new.premake not between 1 and 1000 then
    raise exception using errcode = '22023',
      message = format('premake %s for %s is out of range', coalesce(new.premake::text, 'NULL'), new.parent),
      detail = 'premake is the number of partitions kept ready ahead of now.',
      hint = 'Use a value between 1 and 1000.';
  end if;
  if new.on_expire is null or new.on_expire not in ('drop', 'detach', 'archive') then
    raise exception using errcode = '22023',
      message = format('on_expire %L for %s is not known', new.on_expire, new.parent),
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if new.enabled is null or new.default_partition is null then
    raise exception using errcode = '22023',
      message = format('enabled and default_partition of %s must not be NULL', new.parent),
      hint = 'Use true or false.';
  end if;
  if new.lock_timeout is null or new.lock_timeout < interval '1 millisecond' or new.lock_timeout > interval '1 minute' then
    raise exception using errcode = '22023',
      message = format('lock_timeout %s for %s is out of range', coalesce(new.lock_timeout::text, 'NULL'), new.parent),
      detail = 'Maintenance waits at most this long for a lock before it retries (Rule 2).',
      hint = 'Use an interval between 1 millisecond and 1 minute, e.g. ''100 milliseconds''.';
  end if;
  if new.lock_retries is null or new.lock_retries not between 0 and 100 then
    raise exception using errcode = '22023',
      message = format('lock_retries %s for %s is out of range', coalesce(new.lock_retries::text, 'NULL'), new.parent),
      hint = 'Use a value between 0 and 100.';
  end if;
  if new.detach_schema is not null and not exists (select from pg_namespace where nspname = new.detach_schema) then
    raise exception using errcode = '3F000',
      message = format('detach_schema %I for %s does not exist', new.detach_schema, new.parent),
      hint = 'Create the schema first, or set detach_schema to NULL.';
  end if;
  if new.keep is null then
    new.keep_interval := null; new.keep_int := null;
  elsif tg_op = 'INSERT' or new.keep is distinct from old.keep
        or new.keep_interval is distinct from old.keep_interval or new.keep_int is distinct from old.keep_int then
    select * into parsed from _tide.parse_control_value(new.keep, new.control_type, 'keep', new.every_interval, new.every_int);
    new.keep_interval := parsed.as_interval; new.keep_int := parsed.as_int;
  end if;
  new.updated_at := now();
  return new;
end
$$;
COMMENT ON FUNCTION _tide.check_managed_table() IS 'Trigger: validates premake, keep, on_expire, enabled, lock_timeout, lock_retries on every write to _tide.managed_tables.';
CREATE FUNCTION _tide.convert_add_checks(source regclass, control name, control_type regtype, lower_bound text, upper_bound text, lock_timeout interval DEFAULT '00:00:00.1'::interval, lock_retries integer DEFAULT 10) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  want_lo text := format('CHECK ((%I >= %L::%s))', control, lower_bound, control_type);
  want_hi text := format('CHECK ((%I < %L::%s))', control, upper_bound, control_type);
  attempt integer := 0;
  ok_lo boolean;
  ok_hi boolean;
begin
  loop
    begin
      perform set_config('lock_timeout', (extract(epoch from lock_timeout) * 1000)::bigint::text, true);
      execute format('lock table %s in access exclusive mode', source);
      -- a previous attempt may have left them: keep them when they are the ones we want
      select exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_lower'
                        and pg_get_constraintdef(oid) in (want_lo, want_lo || ' NOT VALID')) into ok_lo;
      select exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_upper'
                        and pg_get_constraintdef(oid) in (want_hi, want_hi || ' NOT VALID')) into ok_hi;
      if not ok_lo then
        if exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_lower') then
          execute format('alter table %s drop constraint tide_legacy_lower', source);
        end if;
        execute format('alter table %s add constraint tide_legacy_lower check (%I >= %L::%s) not valid',
                       source, control, lower_bound, control_type);
      end if;
      if not ok_hi then
        if exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_upper') then
          execute format('alter table %s drop constraint tide_legacy_upper', source);
        end if;
        execute format('alter table %s add constraint tide_legacy_upper check (%I < %L::%s) not valid',
                       source, control, upper_bound, control_type);
      end if;
      perform set_config('lock_timeout', '0', true);
      return;
    exception when lock_not_available then
      attempt := attempt + 1;
      if attempt > lock_retries then
        raise exception using errcode = '55P03',
          message = format('could not lock table %s to add the conversion CHECK within %s, %s times', source, lock_timeout, attempt),
          detail = 'Long transactions or queries hold locks on the table.',
          hint = 'Retry when the table is quieter (see pg_locks / pg_stat_activity); nothing was changed.';
      end if;
      perform pg_sleep(least(2.0, 0.02 * 2 ^ attempt) * (0.5 + random()));
    end;
  end loop;
end
$$;
COMMENT ON FUNCTION _tide.convert_add_checks(source regclass, control name, control_type regtype, lower_bound text, upper_bound text, lock_timeout interval, lock_retries integer) IS 'tide.convert step 1: adds CHECK tide_legacy_lower/upper NOT VALID on SOURCE (ACCESS EXCLUSIVE for milliseconds, under lock_timeout, retried with jittered backoff).';
CREATE FUNCTION _tide.convert_grid_edge(value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    AS $$
declare
  n     bigint;
  loc   timestamp;
  edge  timestamp;
begin
  if value is null then
    return null;
  end if;
  if control_type in ('integer'::regtype, 'bigint'::regtype) then
    n := value::bigint;
    n := n - (((n % every_int) + every_int) % every_int);
    if above then
      n := n + every_int;
    end if;
    return n::text;
  end if;
  if control_type = 'timestamptz'::regtype then
    loc := value::timestamptz at time zone time_zone;
  else
    loc := value::timestamp;
  end if;
  edge := _tide.grid_floor_local(loc, every_interval);
  if above then
    edge := edge + every_interval;
  end if;
  if control_type = 'timestamptz'::regtype then
    return (edge at time zone time_zone)::text;
  elsif control_type = 'date'::regtype then
    return edge::date::text;
  end if;
  return edge::text;
end
$$;
COMMENT ON FUNCTION _tide.convert_grid_edge(value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean) IS 'Grid edge of the partition interval at or below VALUE (or the next edge above it when ABOVE), in the table''s time zone, as bound text. Takes no locks.';
CREATE FUNCTION _tide.convert_preflight(source regclass, control name, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, as_of timestamp with time zone, scan boolean DEFAULT true) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    AS $_$
declare
  rel        record;
  col        record;
  r          record;
  ev_iv      interval;
  ev_int     bigint;
  lo_txt     text;
  hi_txt     text;
  mn         text;
  mx         text;
  legacy     text;
  steps      text[] := array[]::text[];
  n          integer;
begin
  select c.oid, c.relname, n.nspname, c.relkind, c.relpersistence, c.relispartition, c.relhassubclass,
         c.relrowsecurity, c.reltuples, c.relreplident
    into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.oid = source;
  if rel.relkind = 'p' then
    raise exception using errcode = '42809',
      message = format('table %s is already partitioned', source),
      detail = 'tide.convert turns a plain table into a partitioned one.',
      hint = format('Use tide.manage(%L, ...) to manage an existing partitioned table.', source::text);
  elsif rel.relispartition then
    raise exception using errcode = '42809',
      message = format('table %s is a partition', source),
      detail = 'tide.convert turns a plain table into a partitioned one; this one already belongs to a partitioned table.',
      hint = 'Manage its parent with tide.manage instead.';
  elsif rel.relkind is distinct from 'r' then
    raise exception using errcode = '42809',
      message = format('%s is not a table', source),
      hint = 'Pass an ordinary table.';
  end if;
  if rel.relpersistence = 't' then
    raise exception using errcode = '0A000',
      message = format('table %s is temporary', source),
      detail = 'A temporary table lives for one session; pgtide manages tables every session sees.',
      hint = 'Convert a permanent table.';
  elsif rel.relpersistence = 'u' then
    raise exception using errcode = '0A000',
      message = format('table %s is unlogged', source),
      detail = 'PostgreSQL 15 cannot make a partitioned table unlogged, so the converted table would change durability.',
      hint = format('Make it logged first: ALTER TABLE %s SET LOGGED (this rewrites it), or keep it unpartitioned.', source);
  end if;
  if exists (select from pg_inherits where inhrelid = source) or rel.relhassubclass
     and exists (select from pg_inherits where inhparent = source) then
    raise exception using errcode = '0A000',
      message = format('table %s takes part in table inheritance', source),
      detail = (select 'Inheritance: ' || string_agg(format('%s inherits from %s', inhrelid::regclass, inhparent::regclass), ', ')
                  from pg_inherits where inhrelid = source or inhparent = source),
      hint = 'Partitioned tables cannot inherit or be inherited; use ALTER TABLE ... NO INHERIT first.';
  end if;
  if exists (select from _tide.managed_tables m where m.parent = source) then
    raise exception using errcode = '42710',
      message = format('table %s is already managed by pgtide', source),
      hint = 'Nothing to convert.';
  end if;
  select a.attnum, a.attname, a.atttypid::regtype as typ, a.attnotnull, a.attidentity, a.attgenerated
    into col
    from pg_attribute a
   where a.attrelid = source and a.attname = control and a.attnum > 0 and not a.attisdropped;
  if not found then
    raise exception using errcode = '42703',
      message = format('column %I does not exist in table %s', control, source),
      hint = 'Name the timestamp, date or integer column that decides the partition.';
  end if;
  if col.typ not in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype, 'integer'::regtype, 'bigint'::regtype) then
    raise exception using errcode = '0A000',
      message = format('column %I of table %s has type %s, which pgtide cannot partition on', control, source, col.typ),
      hint = 'Use a timestamptz, timestamp, date, integer or bigint column.';
  end if;
  if col.attgenerated <> '' then
    raise exception using errcode = '0A000',
      message = format('column %I of table %s is a generated column', control, source),
      detail = 'PostgreSQL cannot partition by a generated column.',
      hint = 'Partition on the column it is computed from.';
  end if;
  if not col.attnotnull then
    raise exception using errcode = '55000',
      message = format('column %I of table %s allows NULL', control, source),
      detail = 'Every row needs a value to find its partition, and a partition key column is always NOT NULL.',
      hint = format('Without a long lock: ALTER TABLE %1$s ADD CONSTRAINT %2$I CHECK (%3$I IS NOT NULL) NOT VALID; '
                    'ALTER TABLE %1$s VALIDATE CONSTRAINT %2$I; ALTER TABLE %1$s ALTER COLUMN %3$I SET NOT NULL; '
                    'ALTER TABLE %1$s DROP CONSTRAINT %2$I;',
                    source, left(control, 50) || '_not_null', control);
  end if;
  -- parameters (the engine's parser raises 22023 with hints)
  select as_interval, as_int into ev_iv, ev_int from _tide.parse_control_value(every, col.typ, 'every');
  if keep is not null then
    perform _tide.parse_control_value(keep, col.typ, 'keep', ev_iv, ev_int);
  end if;
  if premake is null or premake < 1 or premake > 1000 then
    raise exception using errcode = '22023',
      message = format('premake %s for table %s is out of range', coalesce(premake::text, 'NULL'), source),
      hint = 'Use a number of partitions between 1 and 1000.';
  end if;
  if on_expire is null or on_expire not in ('drop', 'detach', 'archive') then
    raise exception using errcode = '22023',
      message = format('on_expire %L for table %s is not known', on_expire, source),
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if time_zone is null or not exists (select from pg_timezone_names where name = time_zone)
     and not exists (select from pg_timezone_abbrevs where abbrev = time_zone) then
    raise exception using errcode = '22023',
      message = format('time zone %L for table %s is not known', time_zone, source),
      hint = 'Use a name from pg_timezone_names, e.g. ''UTC'' or ''Europe/Paris''.';
  end if;
  -- unique keys must contain the control column
  for r in
    select i.indexrelid::regclass as idx, con.conname, con.contype, i.indisprimary,
           (select string_agg(quote_ident(a.attname), ', ' order by k.ord)
              from unnest(i.indkey) with ordinality k(attnum, ord)
              join pg_attribute a on a.attrelid = source and a.attnum = k.attnum
             where k.ord <= i.indnkeyatts) as cols,
           i.indexprs is not null as has_expr
      from pg_index i left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = source
     where i.indrelid = source and i.indisunique
       and (i.indexprs is not null or not (col.attnum = any (i.indkey::int2[])))
  loop
    raise exception using errcode = '55000',
      message = format('%s %s of table %s does not include the control column %I',
                       case when r.indisprimary then 'primary key' when r.conname is not null then 'unique constraint' else 'unique index' end,
                       coalesce(quote_ident(r.conname), r.idx::text), source, control),
      detail = 'On a partitioned table every primary key and unique index must contain the partition column.',
      hint = format('The new key would be (%s, %I): replace %s by one on those columns (build the index CONCURRENTLY first), then convert.',
                    coalesce(r.cols, '...'), control, coalesce(quote_ident(r.conname), r.idx::text));
  end loop;
  select count(*) into n from pg_constraint where conrelid = source and contype = 'x';
  if n > 0 then
    raise exception using errcode = '0A000',
      message = format('table %s has an exclusion constraint', source),
      detail = (select 'Constraint: ' || string_agg(quote_ident(conname), ', ') from pg_constraint where conrelid = source and contype = 'x'),
      hint = 'PostgreSQL 15 does not support exclusion constraints on partitioned tables; drop it first.';
  end if;
  for r in select i.indexrelid::regclass as idx from pg_index i where i.indrelid = source and not i.indisvalid loop
    raise exception using errcode = '55000',
      message = format('index %s of table %s is invalid', r.idx, source),
      detail = 'An invalid index is left over by a failed CREATE INDEX CONCURRENTLY.',
      hint = format('DROP INDEX CONCURRENTLY %s, or REINDEX INDEX CONCURRENTLY %s.', r.idx, r.idx);
  end loop;
  for r in select conname, conrelid::regclass as referencing from pg_constraint where confrelid = source and contype = 'f' loop
    raise exception using errcode = '55000',
      message = format('foreign key %I of table %s references table %s', r.conname, r.referencing, source),
      detail = 'Re-pointing a foreign key at the new partitioned table would re-check every referencing row under lock.',
      hint = format('Drop the foreign key, convert, then add it back with NOT VALID and VALIDATE: ALTER TABLE %s DROP CONSTRAINT %I;', r.referencing, r.conname);
  end loop;
  for r in
    select distinct rw.ev_class::regclass as dependent, rw.rulename
      from pg_depend d join pg_rewrite rw on rw.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = source
       and (rw.ev_class <> source or rw.rulename <> '_RETURN')
  loop
    raise exception using errcode = '55000',
      message = case when r.dependent = source
                     then format('table %s has rule %I', source, r.rulename)
                     else format('view or rule %s depends on table %s', r.dependent, source) end,
      detail = 'A view or rule is bound to the table by its identity, so it would keep reading the legacy partition alone.',
      hint = 'Save the definition (pg_get_viewdef / pg_get_ruledef), drop it, convert, and create it again.';
  end loop;
  for r in
    select distinct d.objid::regprocedure as fn
      from pg_depend d
     where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = source
  loop
    raise exception using errcode = '55000',
      message = format('function %s depends on table %s', r.fn, source),
      detail = 'A SQL-standard function body (BEGIN ATOMIC) is bound to the table by its identity.',
      hint = 'Drop the function, convert, and create it again.';
  end loop;
  for r in
    select a.attrelid::regclass as rel, a.attname
      from pg_attribute a join pg_class c on c.oid = source
     where a.atttypid = c.reltype and not a.attisdropped and a.attrelid <> source
  loop
    raise exception using errcode = '55000',
      message = format('column %I of %s has the row type of table %s', r.attname, r.rel, source),
      hint = 'Change that column''s type first.';
  end loop;
  for r in select pubname from pg_publication_tables where schemaname = rel.nspname and tablename = rel.relname loop
    raise exception using errcode = '55000',
      message = format('table %s is published by publication %I', source, r.pubname),
      detail = 'Subscribers would see the table disappear and a new one appear.',
      hint = format('ALTER PUBLICATION %I DROP TABLE %s; convert; then add the new table back (with publish_via_partition_root).', r.pubname, source);
  end loop;
  if rel.relrowsecurity or exists (select from pg_policy where polrelid = source) then
    raise exception using errcode = '0A000',
      message = format('table %s uses row-level security', source),
      detail = 'tide.convert does not copy policies.',
      hint = 'Drop the policies and disable row-level security, convert, then re-create them on the partitioned table.';
  end if;
  for r in select tgname from pg_trigger where tgrelid = source and not tgisinternal and tgconstraint <> 0 loop
    raise exception using errcode = '0A000',
      message = format('table %s has constraint trigger %I', source, r.tgname),
      hint = 'Drop it, convert, and create it on the partitioned table.';
  end loop;
  legacy := _tide.convert_short_name(rel.relname, '_legacy');
  if exists (select from pg_class where relnamespace = (select relnamespace from pg_class where oid = source) and relname = legacy) then
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists', rel.nspname, legacy),
      detail = format('tide.convert renames %s to %I and attaches it as the legacy partition.', source, legacy),
      hint = 'Rename or drop that relation first.';
  end if;
  if not scan then
    return jsonb_build_object('source', source::text, 'legacy_name', legacy);
  end if;
  execute format('select min(%1$I)::text, max(%1$I)::text from %2$s', control, source) into mn, mx;
  if col.typ in ('integer'::regtype, 'bigint'::regtype) then
    lo_txt := _tide.convert_grid_edge(coalesce(mn, '0'), col.typ, null, ev_int, time_zone);
    hi_txt := _tide.convert_grid_edge(coalesce(mx, mn, '0'), col.typ, null, ev_int, time_zone, true);
    if hi_txt::numeric - coalesce(mx, '0')::numeric < ev_int / 2 then
      hi_txt := (hi_txt::bigint + ev_int)::text;  -- headroom for keys written while converting
    end if;
  else
    lo_txt := _tide.convert_grid_edge(coalesce(mn, as_of::text), col.typ, ev_iv, null, time_zone);
    -- the legacy partition covers current writes until the swap, so it ends after now
    hi_txt := _tide.convert_grid_edge(greatest(coalesce(mx, as_of::text)::timestamptz, as_of)::text,
                                      col.typ, ev_iv, null, time_zone, true);
    if hi_txt::timestamptz - as_of < interval '15 minutes' then
      hi_txt := _tide.convert_grid_edge(hi_txt, col.typ, ev_iv, null, time_zone, true);
    end if;
  end if;
  steps := array[
    format('add CHECK (%1$I >= %2$L AND %1$I < %3$L) NOT VALID on %4$s (brief lock, lock_timeout with retries)', control, lo_txt, hi_txt, source),
    format('VALIDATE the CHECK (scans %s rows; writes continue)', greatest(rel.reltuples, 0)::bigint),
    format('swap in one short transaction: rename %s to %I, create the partitioned table %s with its shape, attach %I FOR VALUES FROM (%L) TO (%L), attach its %s indexes, create %s future partitions%s, register with pgtide',
           source, legacy, source, legacy, lo_txt, hi_txt,
           (select count(*) from pg_index where indrelid = source), premake,
           case when default_partition then ' and a default partition' else '' end),
    format('optional, later: CALL tide.split_legacy(%L) moves %I''s rows into proper partitions online', source::text, legacy)];
  return jsonb_build_object(
    'source', source::text, 'schema', rel.nspname, 'name', rel.relname, 'legacy_name', legacy,
    'control', control, 'control_type', col.typ::text, 'every', every, 'premake', premake, 'keep', keep,
    'on_expire', on_expire, 'time_zone', time_zone, 'default_partition', default_partition,
    'min', mn, 'max', mx, 'lower_bound', lo_txt, 'upper_bound', hi_txt,
    'rows_estimate', greatest(rel.reltuples, 0)::bigint,
    'total_bytes', pg_total_relation_size(source), 'table_bytes', pg_relation_size(source),
    'indexes', (select count(*) from pg_index where indrelid = source),
    'steps', to_jsonb(steps));
end
$_$;
COMMENT ON FUNCTION _tide.convert_preflight(source regclass, control name, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, as_of timestamp with time zone, scan boolean) IS 'tide.convert''s checks: raises (changing nothing) when SOURCE cannot be converted; with SCAN, reads min/max of the control column and returns the plan as jsonb. Takes ACCESS SHARE on SOURCE.';
CREATE FUNCTION _tide.convert_short_name(base text, suffix text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  b text := base;
begin
  while octet_length(b || suffix) > 63 loop
    b := left(b, length(b) - 1);
  end loop;
  return b || suffix;
end
$$;
COMMENT ON FUNCTION _tide.convert_short_name(base text, suffix text) IS 'BASE || SUFFIX shortened (in BASE, on a character boundary) to fit the 63-byte identifier limit. Takes no locks.';
CREATE FUNCTION _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(action text, rows bigint, rows_left bigint, done boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    AS $_$
declare
  mt       _tide.managed_tables := _tide.load_managed_table(parent);
  lg       _tide.legacy;
  lo       text;
  hi       text;
  a        bigint;
  b        bigint;
  b_txt    text;
  sname    name;
  slice    regclass;
  expired  boolean;
  cols     text;
  n        bigint;
  nxt      record;
  lt       text := (extract(epoch from mt.lock_timeout) * 1000)::bigint::text;
begin
  select * into lg from _tide.legacy l where l.parent = convert_split_step.parent for update;
  if not found or lg.state = 'split' then
    raise exception using errcode = '55000',
      message = format('table %s has no legacy partition to split', parent),
      detail = case when found then 'Its legacy partition was split already.' else 'It was not converted by tide.convert.' end,
      hint = 'Nothing to do.';
  end if;
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      hint = 'Use e.g. 10000.';
  end if;
  select pb.lower_bound, pb.upper_bound into lo, hi from _tide.partition_bounds(lg.legacy) pb;
  a := _tide.key_position(mt, lo);
  b := _tide.grid_next(mt, a);
  b_txt := _tide.position_bound(mt, b);
  if lg.state = 'attached' then
    execute format('select count(*) from %s', lg.legacy) into n;
    update _tide.legacy l set state = 'splitting', split_started_at = clock_timestamp(), split_rows_total = n
     where l.parent = convert_split_step.parent;
    lg.split_rows_total := n;
  end if;
  -- the last interval: the legacy table IS its partition; rename it and stop
  if b >= _tide.key_position(mt, hi) then
    sname := _tide.partition_name(mt, a);
    perform set_config('lock_timeout', lt, true);
    perform _tide.execute_with_retry(format('alter table %s rename to %I', lg.legacy, sname), mt.lock_retries);
    perform _tide.execute_with_retry(format('alter table %s drop constraint if exists tide_legacy_lower, '
      'drop constraint if exists tide_legacy_upper, drop constraint if exists tide_legacy_next', lg.legacy), mt.lock_retries);
    execute format('select count(*) from %s', lg.legacy) into n;
    update _tide.legacy l set state = 'split', split_finished_at = clock_timestamp(), legacy_name = sname
     where l.parent = convert_split_step.parent;
    return query select format('renamed legacy partition to %I (last interval)', sname), 0::bigint, 0::bigint, true;
    return;
  end if;
  expired := mt.keep_interval is not null
             and _tide.position_bound(mt, b)::timestamptz <= as_of - mt.keep_interval;
  -- integer keys: an interval is expired when it ends keep before the greatest key in the table
  if mt.keep_int is not null then
    execute format('select max(%I)::text from %s', mt.control, parent) into cols;
    expired := cols is not null and b <= cols::bigint - mt.keep_int;
  end if;
  expired := coalesce(expired, false) and mt.on_expire = 'drop';
  sname := _tide.partition_name(mt, a);
  slice := to_regclass(format('%I.%I', mt.parent_schema, sname));
  -- phase 3: the CHECK proving the legacy table starts at b is valid: move the boundary
  select c.conname, c.convalidated into nxt from pg_constraint c where c.conrelid = lg.legacy and c.conname = 'tide_legacy_next';
  if found and nxt.convalidated then
    perform set_config('lock_timeout', lt, true);
    perform _tide.execute_with_retry(format('lock table %s in access exclusive mode', parent), mt.lock_retries);
    execute format('alter table %s detach partition %s', parent, lg.legacy);
    execute format('alter table %s drop constraint tide_legacy_lower', lg.legacy);
    execute format('alter table %s rename constraint tide_legacy_next to tide_legacy_lower', lg.legacy);
    execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, lg.legacy, b_txt, hi);
    if slice is not null then
      execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, slice, lo, b_txt);
      execute format('alter table %s drop constraint if exists tide_legacy_slice', slice);
    end if;
    perform set_config('lock_timeout', '0', true);
    return query select format('legacy partition now starts at %s%s', b_txt,
                               case when slice is not null then format('; attached %s', slice) else '' end),
                        0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    return;
  end if;
  -- phase 2: validate (reads the legacy table under SHARE UPDATE EXCLUSIVE; writes continue),
  -- and prove the slice table's bounds while nobody can see it
  if found then
    execute format('alter table %s validate constraint tide_legacy_next', lg.legacy);
    if slice is not null and not exists (select from pg_constraint where conrelid = slice and conname = 'tide_legacy_slice') then
      execute format('alter table %s add constraint tide_legacy_slice check (%I >= %L and %I < %L)',
                     slice, mt.control, lo, mt.control, b_txt);
    end if;
    return query select format('validated that %s holds nothing before %s', lg.legacy, b_txt),
                        0::bigint, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    return;
  end if;
  -- phase 1: move one batch, oldest interval first
  if not expired and slice is null then
    slice := _tide.create_partition_table(mt, sname);
  end if;
  if expired then
    execute format('delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I >= %3$L and %2$I < %4$L limit %5$s))',
                   lg.legacy, mt.control, lo, b_txt, batch_rows);
    get diagnostics n = row_count;
    update _tide.legacy l set rows_expired = l.rows_expired + n where l.parent = convert_split_step.parent;
    lg.rows_expired := lg.rows_expired + n;
  else
    select string_agg(quote_ident(att.attname), ', ' order by att.attnum) into cols
      from pg_attribute att where att.attrelid = parent and att.attnum > 0 and not att.attisdropped and att.attgenerated = '';
    execute format('with moved as (delete from %1$s where ctid = any (array(select ctid from %1$s where %2$I >= %3$L and %2$I < %4$L limit %5$s)) returning %6$s) '
                   'insert into %7$s (%6$s) overriding system value select %6$s from moved',
                   lg.legacy, mt.control, lo, b_txt, batch_rows, cols, slice);
    get diagnostics n = row_count;
    update _tide.legacy l set rows_moved = l.rows_moved + n where l.parent = convert_split_step.parent;
    lg.rows_moved := lg.rows_moved + n;
  end if;
  if n = 0 then
    -- the interval is empty in the legacy table: add the CHECK that will move its lower bound
    perform set_config('lock_timeout', lt, true);
    perform _tide.execute_with_retry(format('alter table %s add constraint tide_legacy_next check (%I >= %L) not valid',
                                            lg.legacy, mt.control, b_txt), mt.lock_retries);
    perform set_config('lock_timeout', '0', true);
    return query select format('interval %s .. %s emptied; CHECK added', lo, b_txt), 0::bigint,
                        greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
    return;
  end if;
  return query select format('%s %s rows of %s .. %s', case when expired then 'deleted (expired)' else 'moved' end, n, lo, b_txt),
                      n, greatest(lg.split_rows_total - lg.rows_moved - lg.rows_expired, 0), false;
end
$_$;
COMMENT ON FUNCTION _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamp with time zone) IS 'One step of tide.split_legacy (one batch moved, or one boundary moved); resumable from the catalog state. Takes ROW EXCLUSIVE on the legacy partition, and ACCESS EXCLUSIVE on the parent for milliseconds when a boundary moves (lock_timeout from tide.config, retried).';
CREATE FUNCTION _tide.convert_swap(plan jsonb, lock_timeout interval DEFAULT '00:00:00.1'::interval, lock_retries integer DEFAULT 10) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    AS $$
declare
  source    regclass := (plan->>'source')::regclass;
  attempt   integer := 0;
  t0        timestamptz;
  result    jsonb;
begin
  loop
    begin
      perform set_config('lock_timeout', (extract(epoch from lock_timeout) * 1000)::bigint::text, true);
      t0 := clock_timestamp();
      execute format('lock table %s in access exclusive mode', source);
      result := _tide.convert_swap_locked(plan);
      perform set_config('lock_timeout', '0', true);
      return result || jsonb_build_object('attempts', attempt + 1,
        'swap_ms', round((extract(epoch from clock_timestamp() - t0) * 1000)::numeric, 1));
    exception when lock_not_available then
      attempt := attempt + 1;
      if attempt > lock_retries then
        raise exception using errcode = '55P03',
          message = format('could not lock table %s for the conversion swap within %s, %s times', source, lock_timeout, attempt),
          detail = 'Long transactions or queries hold locks on the table. The validated CHECKs stay, so a retry starts at the swap.',
          hint = 'Run tide.convert again when the table is quieter (see pg_locks / pg_stat_activity).';
      end if;
      perform pg_sleep(least(2.0, 0.02 * 2 ^ attempt) * (0.5 + random()));
    end;
  end loop;
end
$$;
COMMENT ON FUNCTION _tide.convert_swap(plan jsonb, lock_timeout interval, lock_retries integer) IS 'tide.convert step 3: the swap (see _tide.convert_swap_locked) under lock_timeout, retried with jittered backoff; each attempt is all-or-nothing. Holds ACCESS EXCLUSIVE on the source for milliseconds.';
CREATE FUNCTION _tide.convert_swap_locked(plan jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    AS $$
declare
  source     regclass := (plan->>'source')::regclass;
  nsp        name := plan->>'schema';
  relname    name := plan->>'name';
  legacy     name := plan->>'legacy_name';
  control    name := plan->>'control';
  parent     regclass;
  src        record;
  r          record;
  triggers   text[] := array[]::text[];
  disabled   text[] := array[]::text[];
  fks        text[] := array[]::text[];
  idx        record;
  idx_map    jsonb := '{}';
  stmt       text;
  tname      text;
  created    text[] := array[]::text[];
  lo         text := plan->>'lower_bound';
  hi         text := plan->>'upper_bound';
begin
  -- the catalog may have changed since the preflight: check again, under the lock
  perform _tide.convert_preflight(source, control, plan->>'every', (plan->>'premake')::integer, plan->>'keep',
                                  plan->>'on_expire', plan->>'time_zone', (plan->>'default_partition')::boolean,
                                  now(), false);
  if not exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_lower' and convalidated)
     or not exists (select from pg_constraint where conrelid = source and conname = 'tide_legacy_upper' and convalidated) then
    raise exception using errcode = '55000',
      message = format('table %s has no validated conversion CHECKs', source),
      hint = 'Run tide.convert, which adds and validates them before the swap.';
  end if;
  select c.relowner::regrole as owner, c.relacl, obj_description(c.oid, 'pg_class') as comment,
         c.relreplident, c.reloptions, c.reltablespace
    into src from pg_class c where c.oid = source;
  -- capture what refers to the table by name while the name is still the table's
  for r in select t.oid, t.tgname, t.tgenabled from pg_trigger t where t.tgrelid = source and not t.tgisinternal loop
    triggers := triggers || pg_get_triggerdef(r.oid);
    if r.tgenabled <> 'O' then
      disabled := disabled || format('alter table %I.%I %s trigger %I', nsp, relname,
        case r.tgenabled when 'D' then 'disable' when 'A' then 'enable always' when 'R' then 'enable replica' end, r.tgname);
    end if;
  end loop;
  for r in select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = source and contype = 'f' loop
    fks := fks || format('alter table %I.%I add constraint %I %s', nsp, relname, r.conname, r.def);
  end loop;
  -- 1. rename the table and its indexes out of the way
  execute format('alter table %s rename to %I', source, legacy);
  for idx in select i.indexrelid::regclass as oid, c.relname from pg_index i join pg_class c on c.oid = i.indexrelid
              where i.indrelid = source order by c.relname loop
    tname := _tide.convert_short_name(idx.relname, '_legacy');
    while exists (select from pg_class where relnamespace = (select oid from pg_namespace where nspname = nsp) and pg_class.relname = tname) loop
      tname := _tide.convert_short_name(idx.relname, '_legacy' || (random() * 1000)::int);
    end loop;
    execute format('alter index %s rename to %I', idx.oid, tname);
    idx_map := idx_map || jsonb_build_object(idx.oid::oid::text, idx.relname);
  end loop;
  -- 2. the partitioned table, same name and shape (columns, defaults, identity, generated,
  --    NOT NULL and CHECK constraints, storage, compression, comments, statistics, indexes)
  execute format('create table %I.%I (like %I.%I including all) partition by range (%I)%s',
                 nsp, relname, nsp, legacy, control,
                 case when src.reltablespace <> 0 then format(' tablespace %I', (select spcname from pg_tablespace where oid = src.reltablespace)) else '' end);
  parent := format('%I.%I', nsp, relname)::regclass;
  execute format('alter table %s drop constraint tide_legacy_lower, drop constraint tide_legacy_upper', parent);
  if src.owner::oid <> (select relowner from pg_class where oid = parent) then
    execute format('alter table %s owner to %I', parent, src.owner);
  end if;
  if src.comment is not null then
    execute format('comment on table %s is %L', parent, src.comment);
  end if;
  -- privileges, table and column level
  for r in select (aclexplode(src.relacl)).* loop
    continue when r.grantee = src.owner::oid;
    execute format('grant %s on table %s to %s%s', r.privilege_type, parent,
                   case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
                   case when r.is_grantable then ' with grant option' else '' end);
  end loop;
  for r in select a.attname, (aclexplode(a.attacl)).* from pg_attribute a
            where a.attrelid = source and a.attacl is not null and not a.attisdropped loop
    execute format('grant %s (%I) on table %s to %s%s', r.privilege_type, r.attname, parent,
                   case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
                   case when r.is_grantable then ' with grant option' else '' end);
  end loop;
  -- statistics targets
  for r in select a.attname, a.attstattarget from pg_attribute a
            where a.attrelid = source and a.attnum > 0 and not a.attisdropped and a.attstattarget >= 0 loop
    execute format('alter table %s alter column %I set statistics %s', parent, r.attname, r.attstattarget);
  end loop;
  -- sequences owned by the table's columns (serial): they now belong to the parent, so dropping
  -- the legacy partition one day never drops them; their position is untouched
  for r in select d.objid::regclass as seq, a.attname
             from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
            where d.classid = 'pg_class'::regclass and d.refobjid = source and d.deptype = 'a'
              and (select relkind from pg_class where oid = d.objid) = 'S' loop
    execute format('alter sequence %s owned by %s.%I', r.seq, parent, r.attname);
  end loop;
  -- identity columns: the parent got a fresh sequence; carry the position over
  for r in select a.attname, pg_get_serial_sequence(source::text, a.attname) as old_seq,
                  pg_get_serial_sequence(parent::text, a.attname) as new_seq
             from pg_attribute a where a.attrelid = source and a.attidentity <> '' and not a.attisdropped loop
    execute format('select setval(%L, last_value, is_called) from %s', r.new_seq, r.old_seq);
  end loop;
  -- foreign keys out of the table: created on the empty parent, ATTACH adopts the legacy's own
  foreach stmt in array fks loop execute stmt; end loop;
  -- triggers move to the parent (row triggers come back onto the legacy partition at ATTACH)
  for r in select tgname from pg_trigger where tgrelid = source and not tgisinternal loop
    execute format('drop trigger %I on %s', r.tgname, source);
  end loop;
  foreach stmt in array triggers loop execute stmt; end loop;
  foreach stmt in array disabled loop execute stmt; end loop;
  -- 3. attach: the validated CHECKs prove the bounds, so PostgreSQL reads no row
  execute format('alter table %s attach partition %s for values from (%L) to (%L)', parent, source, lo, hi);
  -- 4. the parent's indexes adopted the legacy ones; give them the original names
  for idx in select inh.inhparent::regclass as pidx, i.indexrelid::oid as lidx
               from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid
              where i.indrelid = source loop
    continue when (select c.relname from pg_class c where c.oid = idx.pidx) = idx_map->>(idx.lidx::text);
    execute format('alter index %s rename to %I', idx.pidx, idx_map->>(idx.lidx::text));
  end loop;
  if exists (select from pg_index i where i.indrelid = source
              and not exists (select from pg_inherits where inhrelid = i.indexrelid)) then
    raise notice 'pgtide: some indexes of % are not attached to an index of the parent and stay local to it', legacy;
  end if;
  -- 5. replica identity (partitioned tables keep it for their partitions' logical decoding)
  if src.relreplident = 'f' then
    execute format('alter table %s replica identity full', parent);
  elsif src.relreplident = 'n' then
    execute format('alter table %s replica identity nothing', parent);
  elsif src.relreplident = 'i' then
    select inh.inhparent::regclass as pidx into idx
      from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid
     where i.indrelid = source and i.indisreplident;
    if found then
      execute format('alter table %s replica identity using index %I', parent,
                     (select c.relname from pg_class c where c.oid = idx.pidx));
    end if;
  end if;
  -- 6. register with pgtide: future partitions (and the default) are created by the engine,
  --    which adopts the legacy partition as one range spanning several intervals
  select coalesce(array_agg(p::text), array[]::text[]) into created
    from tide.manage(parent, control, plan->>'every', (plan->>'premake')::integer, plan->>'keep',
                     plan->>'on_expire', null, plan->>'time_zone', (plan->>'default_partition')::boolean) as p;
  -- storage parameters cannot live on a partitioned table: give them to the new partitions
  if src.reloptions is not null then
    for r in select inhrelid::regclass as part from pg_inherits where inhparent = parent and inhrelid <> source loop
      execute format('alter table %s set (%s)', r.part, array_to_string(src.reloptions, ', '));
    end loop;
  end if;
  insert into _tide.legacy (parent, parent_oid, legacy, legacy_name, lower_bound, upper_bound,
                            rows_at_convert, bytes_at_convert)
  values (parent, parent, source, legacy, lo, hi, (plan->>'rows_estimate')::bigint, (plan->>'total_bytes')::bigint);
  return jsonb_build_object('parent', parent::text, 'legacy', source::text,
                            'lower_bound', lo, 'upper_bound', hi, 'partitions_created', to_jsonb(created));
end
$$;
COMMENT ON FUNCTION _tide.convert_swap_locked(plan jsonb) IS 'Body of the tide.convert swap; expects ACCESS EXCLUSIVE on the source already held (call _tide.convert_swap). Reads no table data.';
CREATE FUNCTION _tide.convert_validate(source regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  execute format('alter table %s validate constraint tide_legacy_lower', source);
  execute format('alter table %s validate constraint tide_legacy_upper', source);
exception when check_violation then
  raise exception using errcode = '23514',
    message = format('rows of table %s fall outside the bounds chosen for its legacy partition', source),
    detail = 'Rows were written with control values outside the range read at the start of the conversion.',
    hint = 'Run tide.convert again: it recomputes the bounds.';
end
$$;
COMMENT ON FUNCTION _tide.convert_validate(source regclass) IS 'tide.convert step 2: VALIDATEs the bound CHECKs of SOURCE (SHARE UPDATE EXCLUSIVE: a full read, writes continue).';
SET default_tablespace = '';
SET default_table_access_method = heap;
CREATE TABLE _tide.managed_tables (
    parent regclass NOT NULL,
    parent_schema name NOT NULL,
    parent_name name NOT NULL,
    control name NOT NULL,
    control_type regtype NOT NULL,
    every text NOT NULL,
    every_interval interval,
    every_int bigint,
    premake integer DEFAULT 4 NOT NULL,
    keep text,
    keep_interval interval,
    keep_int bigint,
    on_expire text DEFAULT 'drop'::text NOT NULL,
    time_zone text DEFAULT 'UTC'::text NOT NULL,
    default_partition boolean DEFAULT true NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    lock_timeout interval DEFAULT '00:00:00.1'::interval NOT NULL,
    lock_retries integer DEFAULT 5 NOT NULL,
    detach_schema name,
    archive_target text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    next_due_at timestamp with time zone,
    due_signature text,
    CONSTRAINT managed_tables_every_kind CHECK (((every_interval IS NULL) <> (every_int IS NULL))),
    CONSTRAINT managed_tables_lock_retries CHECK (((lock_retries >= 0) AND (lock_retries <= 100))),
    CONSTRAINT managed_tables_on_expire CHECK ((on_expire = ANY (ARRAY['drop'::text, 'detach'::text, 'archive'::text]))),
    CONSTRAINT managed_tables_premake CHECK (((premake >= 1) AND (premake <= 1000)))
);
COMMENT ON TABLE _tide.managed_tables IS 'One row per table pgtide manages; edited through the view tide.config';
COMMENT ON COLUMN _tide.managed_tables.next_due_at IS 'Earliest as_of at which maintenance has work for this table; NULL = always look';
COMMENT ON COLUMN _tide.managed_tables.due_signature IS 'Signature of the partitions and settings next_due_at was computed from; a change makes the table due';
CREATE FUNCTION _tide.create_default_partition(mt _tide.managed_tables, run_id bigint DEFAULT NULL::bigint) RETURNS regclass
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  started timestamptz := clock_timestamp();
  created regclass;
begin
  created := _tide.create_partition_table(mt, _tide.default_partition_name(mt));
  perform _tide.execute_with_retry(format('alter table %s attach partition %s default', mt.parent, created), mt.lock_retries);
  perform _tide.log_action(run_id, mt.parent, 'create_default', created::text, 'ok', null, started);
  return created;
end
$$;
COMMENT ON FUNCTION _tide.create_default_partition(mt _tide.managed_tables, run_id bigint) IS 'Creates and attaches the default partition <parent>_default of a managed table; logs it.';
CREATE FUNCTION _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint DEFAULT NULL::bigint) RETURNS TABLE(partition regclass, lower_bound text, upper_bound text, rows_moved bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  started  timestamptz := clock_timestamp();
  nm       name := _tide.partition_name(mt, lower_pos);
  lo       text := _tide.position_bound(mt, lower_pos);
  hi       text := _tide.position_bound(mt, upper_pos);
  typ      text := mt.control_type::text;
  created  regclass;
  dflt     regclass;
  cols     text;
  has_rows boolean := false;
  moved    bigint := 0;
begin
  -- the parent first (SHARE UPDATE EXCLUSIVE: application reads and writes go on), so no later
  -- statement waits for it while this transaction already holds the default partition
  perform _tide.execute_with_retry(format('lock table only %s in share update exclusive mode', mt.parent), mt.lock_retries);
  created := _tide.create_partition_table(mt, nm);
  execute format('alter table %s add constraint tide_partition_bounds check (%I is not null and %I >= %L::%s and %I < %L::%s)',
                 created, mt.control, mt.control, lo, typ, mt.control, hi, typ);
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is not null then
    -- ATTACH needs ACCESS EXCLUSIVE on the default anyway; taken first (adding the NOT VALID
    -- exclusion CHECK), no row of the new range can reach the default between the look and the move
    perform _tide.execute_with_retry(format(
      'alter table %s add constraint tide_attach_exclusion check (not (%I >= %L::%s and %I < %L::%s)) not valid',
      dflt, mt.control, lo, typ, mt.control, hi, typ), mt.lock_retries);
    execute format('select exists (select from only %s where %I >= %L::%s and %I < %L::%s)',
                   dflt, mt.control, lo, typ, mt.control, hi, typ) into has_rows;
    if has_rows then
      select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
        from pg_attribute a
       where a.attrelid = mt.parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
      execute format('with moved as (delete from only %s where %I >= %L::%s and %I < %L::%s returning *) '
                     'insert into %s (%s) select %s from moved',
                     dflt, mt.control, lo, typ, mt.control, hi, typ, created, cols, cols);
      get diagnostics moved = row_count;
    end if;
    -- validated, the CHECK spares ATTACH its own scan of the default
    execute format('alter table %s validate constraint tide_attach_exclusion', dflt);
  end if;
  perform _tide.execute_with_retry(format('alter table %s attach partition %s for values from (%L) to (%L)',
                                          mt.parent, created, lo, hi), mt.lock_retries);
  perform _tide.execute_with_retry(format('alter table %s drop constraint tide_partition_bounds', created), mt.lock_retries);
  if dflt is not null then
    perform _tide.execute_with_retry(format('alter table %s drop constraint tide_attach_exclusion', dflt), mt.lock_retries);
  end if;
  perform _tide.log_action(run_id, mt.parent, 'create', created::text, 'ok', moved, started,
                           message => case when moved > 0 then format('%s rows moved from the default partition %s', moved, dflt) end);
  return query select created, lo, hi, moved;
end
$$;
COMMENT ON FUNCTION _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint) IS 'Creates and attaches one partition [lower, upper) per Rule 1, moving rows of its range out of the default partition; logs it.';
CREATE FUNCTION _tide.create_partition_table(mt _tide.managed_tables, partition_name name) RETURNS regclass
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  existing  oid;
  par       record;
  opts      text;
  g         record;
  created   regclass;
begin
  select c.oid into existing
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = mt.parent_schema and c.relname = partition_name;
  if existing is not null then
    if exists (select from pg_inherits i where i.inhrelid = existing and i.inhparent = mt.parent) then
      raise exception using errcode = 'TD003',
        message = format('partition name %I.%I is already used by another partition of %s', mt.parent_schema, partition_name, mt.parent),
        detail = 'Two different ranges of this table map to the same (possibly shortened) partition name.',
        hint = 'Rename the existing partition, or rename the parent to a shorter name.';
    end if;
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists and is not a partition of %s', mt.parent_schema, partition_name, mt.parent),
      detail = format('pgtide needs the name %I.%I for a new partition of %s.', mt.parent_schema, partition_name, mt.parent),
      hint = 'Rename or drop that relation, then run maintenance again.';
  end if;
  select c.relowner, c.reltablespace, c.relacl into par from pg_class c where c.oid = mt.parent;
  -- storage parameters: a partitioned table has none, so copy those of the newest partition
  select string_agg(format('%I = %L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)), ', ')
    into opts
    from (select c.reloptions
            from pg_inherits i join pg_class c on c.oid = i.inhrelid
           where i.inhparent = mt.parent and c.relkind = 'r' and c.reloptions is not null
             and not coalesce((select b.is_default from _tide.partition_bounds(c.oid::regclass) b), true)
           order by c.oid desc limit 1) t,
         unnest(t.reloptions) o
   where o ~ '^(fillfactor|autovacuum_|toast_tuple_target|parallel_workers|vacuum_|log_autovacuum)';
  perform _tide.execute_with_retry(format(
    'create table %I.%I (like %s including defaults including constraints including storage including comments'
    ' including generated including statistics including compression including indexes)%s%s',
    mt.parent_schema, partition_name, mt.parent,
    case when opts is not null then ' with (' || opts || ')' else '' end,
    case when par.reltablespace <> 0 then format(' tablespace %I', (select spcname from pg_tablespace where oid = par.reltablespace)) else '' end),
    mt.lock_retries);
  created := format('%I.%I', mt.parent_schema, partition_name)::regclass;
  if par.relowner <> (select relowner from pg_class where oid = created) then
    execute format('alter table %s owner to %I', created, pg_get_userbyid(par.relowner));
  end if;
  for g in select a.grantee, a.privilege_type, a.is_grantable
             from aclexplode(par.relacl) a
            where a.grantee <> par.relowner loop
    execute format('grant %s on %s to %s%s', g.privilege_type, created,
                   case when g.grantee = 0 then 'public' else quote_ident(pg_get_userbyid(g.grantee)) end,
                   case when g.is_grantable then ' with grant option' else '' end);
  end loop;
  return created;
end
$$;
COMMENT ON FUNCTION _tide.create_partition_table(mt _tide.managed_tables, partition_name name) IS 'Creates a standalone table shaped like a managed parent (indexes, owner, grants, storage parameters), ready to attach. Raises 42P07/TD003 when the name is taken.';
CREATE FUNCTION _tide.cron_job_name(database name DEFAULT current_database()) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select coalesce((select value from _tide.settings where name = 'cron_job_name'), 'pgtide-maintenance')
         || case when database = coalesce(current_setting('cron.database_name', true), database) then '' else '@' || database end;
$$;
COMMENT ON FUNCTION _tide.cron_job_name(database name) IS 'Name of pgtide''s pg_cron job for DATABASE: the cron_job_name setting, plus @DATABASE when DATABASE is not cron.database_name.';
CREATE FUNCTION _tide.cron_schedule_statement(cron text DEFAULT '*/10 * * * *'::text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select format('select cron.schedule_in_database(%L, %L, %L, %L);',
                _tide.cron_job_name(), cron, 'CALL tide.run_maintenance()', current_database());
$$;
COMMENT ON FUNCTION _tide.cron_schedule_statement(cron text) IS 'The cron.schedule_in_database(...) call that schedules CALL tide.run_maintenance() in this database, to be run in the database named by cron.database_name.';
CREATE FUNCTION _tide.current_position(mt _tide.managed_tables, as_of timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  p    record;
  v    bigint;
begin
  if mt.every_int is null then
    if mt.control_type = 'timestamptz'::regtype then
      return (extract(epoch from as_of) * 1000000)::bigint;
    end if;
    return (extract(epoch from (as_of at time zone mt.time_zone) at time zone 'UTC') * 1000000)::bigint;
  end if;
  -- integer keys: the newest non-empty partition holds the largest key; read only that far. The
  -- default is not read: one stray far-ahead key there would become "now", create every partition
  -- up to it and expire every partition with live rows. Rows that outran premake in the default
  -- are reached as the series advances (premake partitions per run) or by tide.drain_default.
  for p in select l.partition from _tide.list_partitions(mt) l where not l.is_default
            order by l.lower_pos desc nulls last loop
    execute format('select max(%I)::bigint from only %s', mt.control, p.partition) into v;
    exit when v is not null;
  end loop;
  if v is null then
    select min(coalesce(l.lower_pos, l.upper_pos)) into v from _tide.list_partitions(mt) l where not l.is_default;
  end if;
  return coalesce(v, 0);
end
$$;
COMMENT ON FUNCTION _tide.current_position(mt _tide.managed_tables, as_of timestamp with time zone) IS 'The current position on a managed table''s key axis (as_of for time keys, the largest key for integer keys).';
CREATE FUNCTION _tide.default_partition_name(mt _tide.managed_tables) RETURNS name
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  head text := mt.parent_name;
begin
  while octet_length(head || '_default') > 63 loop
    head := left(head, length(head) - 1);
  end loop;
  return (head || '_default')::name;
end
$$;
COMMENT ON FUNCTION _tide.default_partition_name(mt _tide.managed_tables) IS 'Name of the default partition pgtide creates: <parent>_default, parent part shortened to fit 63 bytes.';
CREATE FUNCTION _tide.drain_default_step(parent regclass, batch_rows integer) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  mt      _tide.managed_tables := _tide.load_managed_table(parent);
  dflt    regclass;
  v       text;
  pos     bigint;
  slot    record;
  made    record;
  moved   bigint := 0;
  old_lt  text := current_setting('lock_timeout');
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for %s must be positive', coalesce(batch_rows::text, 'NULL'), parent),
      hint = 'Use e.g. 10000.';
  end if;
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is null then
    return 0;
  end if;
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    raise exception using errcode = '55P03',
      message = format('table %s is being maintained by another session', parent),
      hint = 'Try again when that maintenance has finished.';
  end if;
  perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint || 'ms', true);
  loop
    execute format('select min(%I)::text from only %s', mt.control, dflt) into v;
    exit when v is null;
    pos := _tide.grid_floor(mt, _tide.key_position(mt, v));
    select s.lower_pos, s.upper_pos into slot from _tide.next_missing_slot(mt, pos, _tide.grid_next(mt, pos)) s;
    if slot.lower_pos is distinct from pos then
      raise exception using errcode = 'TD002',
        message = format('rows of %s in its default partition %s belong to a range no grid partition can hold', parent, dflt),
        detail = format('The smallest key there is %s.', v),
        hint = 'Check the partitions around that value.';
    end if;
    select * into made from _tide.create_partition(mt, slot.lower_pos, slot.upper_pos);
    moved := moved + made.rows_moved;
    exit when moved >= batch_rows;
  end loop;
  perform set_config('lock_timeout', old_lt, true);
  return moved;
end
$$;
COMMENT ON FUNCTION _tide.drain_default_step(parent regclass, batch_rows integer) IS 'Moves rows out of a managed table''s default partition by creating their partitions, until about batch_rows rows moved; returns the count.';
CREATE FUNCTION _tide.due_signature(mt _tide.managed_tables) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select md5(concat_ws('|', mt.every, mt.premake, mt.keep, mt.on_expire, mt.time_zone, mt.default_partition,
                       mt.enabled, mt.detach_schema,
                       (select string_agg(i.inhrelid::text, ',' order by i.inhrelid)
                          from pg_catalog.pg_inherits i where i.inhparent = mt.parent)));
$$;
COMMENT ON FUNCTION _tide.due_signature(mt _tide.managed_tables) IS 'Signature of a managed table''s settings and partition set; run_maintenance re-examines a table whose signature changed.';
CREATE FUNCTION _tide.enqueue_archive(parent regclass, partition regclass, lower_bound text, upper_bound text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  part pg_catalog.pg_class;
  par  pg_catalog.pg_class;
  ctl  name;
  id   bigint;
begin
  select * into part from pg_catalog.pg_class c where c.oid = "partition";
  if not found or part.relkind <> 'r' then
    raise exception using errcode = 'wrong_object_type',
      message = format('pgtide: %s is not an ordinary table and cannot be archived', "partition"),
      detail = 'Only a detached partition (a plain table) can be queued for archiving.',
      hint = 'Detach the partition first; retention does this for on_expire => ''archive''.';
  end if;
  if part.relispartition then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: %s is still attached to its parent', "partition"),
      detail = 'An archived partition is dropped after verification, so it must no longer route writes.',
      hint = 'Detach it (ALTER TABLE … DETACH PARTITION) before queueing it.';
  end if;
  select a.archive_id into id from _tide.archives a
  where a."partition" = enqueue_archive."partition" and a.state <> 'dropped';
  if found then
    return id;  -- already queued: retention may call again after a retried run
  end if;
  select * into par from pg_catalog.pg_class c where c.oid = parent;
  select coalesce(
           (select m.control from _tide.managed_tables m where m.parent = enqueue_archive.parent),
           (select a.attname from pg_catalog.pg_partitioned_table p
              join pg_catalog.pg_attribute a on a.attrelid = p.partrelid and a.attnum = p.partattrs[0]
            where p.partrelid = enqueue_archive.parent))
    into ctl;
  if ctl is not null and not exists (select from pg_catalog.pg_attribute a
                                     where a.attrelid = "partition" and a.attname = ctl and not a.attisdropped) then
    ctl := null;
  end if;
  insert into _tide.archives (parent_oid, parent, "partition", partition_name, lower_bound, upper_bound,
                              rows, bytes, partition_schema, partition_table, parent_schema, parent_table, control)
  values (parent, parent::text, "partition", "partition"::text, enqueue_archive.lower_bound, enqueue_archive.upper_bound,
          nullif(greatest(part.reltuples, -1)::bigint, -1), pg_catalog.pg_total_relation_size("partition"),
          (select n.nspname from pg_catalog.pg_namespace n where n.oid = part.relnamespace), part.relname,
          coalesce((select n.nspname from pg_catalog.pg_namespace n where n.oid = par.relnamespace), (select n.nspname from pg_catalog.pg_namespace n where n.oid = part.relnamespace)),
          coalesce(par.relname, part.relname), ctl)
  returning archive_id into id;
  return id;
end
$$;
COMMENT ON FUNCTION _tide.enqueue_archive(parent regclass, partition regclass, lower_bound text, upper_bound text) IS 'pgtide: queue a detached PARTITION of PARENT for archiving (idempotent); returns its archive_id';
CREATE FUNCTION _tide.execute_with_retry(statement text, retries integer) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  attempt integer := 0;
begin
  loop
    begin
      execute statement;
      return;
    exception when lock_not_available then
      if attempt >= retries then
        raise;
      end if;
    end;
    -- 20 ms, 40 ms, 80 ms … capped at 1 s, each scaled by a random 0.5–1.5
    perform pg_sleep(least(0.02 * power(2, attempt), 1.0) * (0.5 + random()));
    attempt := attempt + 1;
  end loop;
end
$$;
COMMENT ON FUNCTION _tide.execute_with_retry(statement text, retries integer) IS 'Runs one lock-taking statement, retrying on lock_not_available (55P03) with jittered backoff up to RETRIES times.';
CREATE FUNCTION _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint DEFAULT NULL::bigint) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  started  timestamptz := clock_timestamp();
  old_name text := partition::text;
  rel      name;
  head     text;
begin
  if mt.on_expire = 'drop' then
    perform _tide.execute_with_retry(format('drop table %s', partition), mt.lock_retries);
    perform _tide.log_action(run_id, mt.parent, 'drop', old_name, 'ok', null, started,
                             detail => format('range [%s, %s)', coalesce(lower_bound, 'MINVALUE'), upper_bound));
    return;
  end if;
  perform _tide.execute_with_retry(format('alter table %s detach partition %s', mt.parent, partition), mt.lock_retries);
  if mt.detach_schema is not null then
    execute format('alter table %s set schema %I', partition, mt.detach_schema);
  else
    select c.relname into rel from pg_class c where c.oid = partition;
    head := rel;
    while octet_length(head || '_detached') > 63 loop
      head := left(head, length(head) - 1);
    end loop;
    execute format('alter table %s rename to %I', partition, head || '_detached');
  end if;
  insert into _tide.detached (partition, parent_oid, parent, lower_bound, upper_bound, reason)
  values (partition, mt.parent, mt.parent::text, lower_bound, upper_bound,
          case when mt.on_expire = 'archive' then 'archive' else 'retention' end);
  if mt.on_expire = 'archive' then
    -- the archive queue is another component's; called dynamically so this file loads without it
    execute 'select _tide.enqueue_archive($1, $2, $3, $4)' using mt.parent, partition, lower_bound, upper_bound;
  end if;
  perform _tide.log_action(run_id, mt.parent, case when mt.on_expire = 'archive' then 'archive' else 'detach' end,
                           partition::text, 'ok', null, started,
                           detail => format('was %s, range [%s, %s)', old_name, coalesce(lower_bound, 'MINVALUE'), upper_bound));
end
$_$;
COMMENT ON FUNCTION _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint) IS 'Applies on_expire (drop, detach, archive) to one expired partition under lock_timeout with retries; logs it.';
CREATE FUNCTION _tide.grid_floor(mt _tide.managed_tables, pos bigint) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  fl  timestamp;
  g   bigint;
begin
  if pos is null then
    return null;
  end if;
  if mt.every_int is not null then
    return pos - (((pos % mt.every_int) + mt.every_int) % mt.every_int);
  end if;
  fl := _tide.grid_floor_local(_tide.position_local(mt, pos), mt.every_interval);
  g := _tide.local_position(mt, fl);
  while g > pos loop
    fl := fl - mt.every_interval;
    g := _tide.local_position(mt, fl);
  end loop;
  return g;
end
$$;
COMMENT ON FUNCTION _tide.grid_floor(mt _tide.managed_tables, pos bigint) IS 'The grid point at or below a position on a managed table''s key axis.';
CREATE FUNCTION _tide.grid_floor_local(local_time timestamp without time zone, every interval) RETURNS timestamp without time zone
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mon  integer := extract(year from every)::integer * 12 + extract(month from every)::integer;
  dd   integer := extract(day from every)::integer;
  us   bigint := ((extract(hour from every) * 3600 + extract(minute from every) * 60 + extract(second from every)) * 1000000)::bigint;
  idx  bigint;
  d    bigint;
  t    bigint;
begin
  if mon > 0 then
    idx := extract(year from local_time)::bigint * 12 + extract(month from local_time)::bigint - 1;
    idx := idx - (((idx % mon) + mon) % mon);
    return make_timestamp((idx / 12)::integer, (idx % 12)::integer + 1, 1, 0, 0, 0);
  elsif dd > 0 then
    d := local_time::date - date '2001-01-01';
    d := d - (((d % dd) + dd) % dd);
    return (date '2001-01-01' + d::integer)::timestamp;
  else
    t := (extract(epoch from (local_time - timestamp '2001-01-01')) * 1000000)::bigint;
    t := t - (((t % us) + us) % us);
    return timestamp '2001-01-01' + t * interval '1 microsecond';
  end if;
end
$$;
COMMENT ON FUNCTION _tide.grid_floor_local(local_time timestamp without time zone, every interval) IS 'Start of the grid cell of EVERY that holds a wall-clock time (months from January, weeks from ISO Monday, days/hours from midnight).';
CREATE FUNCTION _tide.grid_next(mt _tide.managed_tables, pos bigint) RETURNS bigint
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  loc  timestamp;
  g    bigint;
begin
  if pos is null then
    return null;
  end if;
  if mt.every_int is not null then
    return pos + mt.every_int;
  end if;
  loc := _tide.grid_floor_local(_tide.position_local(mt, pos), mt.every_interval);
  loop
    loc := loc + mt.every_interval;
    g := _tide.local_position(mt, loc);
    exit when g > pos;
  end loop;
  return g;
end
$$;
COMMENT ON FUNCTION _tide.grid_next(mt _tide.managed_tables, pos bigint) IS 'The next grid point after a grid point on a managed table''s key axis.';
CREATE FUNCTION _tide.is_grid_point(mt _tide.managed_tables, pos bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select pos is null or _tide.grid_floor(mt, pos) = pos;
$$;
COMMENT ON FUNCTION _tide.is_grid_point(mt _tide.managed_tables, pos bigint) IS 'True when a position is a partition edge on the table''s grid (NULL, an unbounded edge, counts).';
CREATE FUNCTION _tide.key_position(mt _tide.managed_tables, bound text) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  abs_time timestamptz;
begin
  if bound is null then
    return null;
  end if;
  if mt.control_type in ('integer'::regtype, 'bigint'::regtype) then
    return bound::bigint;
  elsif mt.control_type = 'timestamptz'::regtype then
    abs_time := bound::timestamptz;
  elsif mt.control_type = 'timestamp'::regtype then
    abs_time := bound::timestamp at time zone 'UTC';
  else
    abs_time := bound::date::timestamp at time zone 'UTC';
  end if;
  return (extract(epoch from abs_time) * 1000000)::bigint;
end
$$;
COMMENT ON FUNCTION _tide.key_position(mt _tide.managed_tables, bound text) IS 'A key value (as text) as a bigint position on the table''s axis (microseconds for time keys).';
CREATE FUNCTION _tide.list_partitions(mt _tide.managed_tables) RETURNS TABLE(partition regclass, lower_pos bigint, upper_pos bigint, lower_bound text, upper_bound text, is_default boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    AS $$
  select p.partition,
         case when mt.control_type in ('integer'::regtype, 'bigint'::regtype) then p.lower_bound::bigint
              when mt.control_type = 'timestamptz'::regtype then (extract(epoch from p.lower_bound::timestamptz) * 1000000)::bigint
              when mt.control_type = 'timestamp'::regtype then (extract(epoch from p.lower_bound::timestamp) * 1000000)::bigint
              else (extract(epoch from p.lower_bound::date::timestamp) * 1000000)::bigint end as lower_pos,
         case when mt.control_type in ('integer'::regtype, 'bigint'::regtype) then p.upper_bound::bigint
              when mt.control_type = 'timestamptz'::regtype then (extract(epoch from p.upper_bound::timestamptz) * 1000000)::bigint
              when mt.control_type = 'timestamp'::regtype then (extract(epoch from p.upper_bound::timestamp) * 1000000)::bigint
              else (extract(epoch from p.upper_bound::date::timestamp) * 1000000)::bigint end as upper_pos,
         p.lower_bound, p.upper_bound, p.is_default
    from (select b.partition, b.is_default,
                 case when not b.is_default then nullif(nullif(btrim(split_part(split_part(b.expr, ') TO (', 1), 'FROM (', 2), ''''),
                                                               'MINVALUE'), 'MAXVALUE') end as lower_bound,
                 case when not b.is_default then nullif(nullif(btrim(left(split_part(b.expr, ') TO (', 2), -1), ''''),
                                                               'MINVALUE'), 'MAXVALUE') end as upper_bound
            from (select i.inhrelid::regclass as partition, e.expr = 'DEFAULT' as is_default, e.expr
                    from pg_inherits i
                   -- one index probe per partition (a join would be planned as a scan of all of pg_class)
                   cross join lateral (select pg_get_expr(c.relpartbound, 0) as expr
                                         from pg_class c where c.oid = i.inhrelid and c.relispartition offset 0) e
                   where i.inhparent = mt.parent
                  offset 0) b
           where b.is_default or b.expr like 'FOR VALUES FROM (%') p
   order by p.is_default, 2 nulls first;
$$;
COMMENT ON FUNCTION _tide.list_partitions(mt _tide.managed_tables) IS 'Partitions of a managed table with their bounds as text and as axis positions, in key order, default last. Takes no locks.';
CREATE FUNCTION _tide.load_managed_table(parent regclass) RETURNS _tide.managed_tables
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mt _tide.managed_tables;
begin
  select * into mt from _tide.managed_tables m where m.parent = load_managed_table.parent;
  if not found then
    raise exception using errcode = 'TD001',
      message = format('table %s is not managed by pgtide', parent),
      detail = 'It has no row in tide.config.',
      hint = 'Call tide.manage() on it first.';
  end if;
  select n.nspname, c.relname into mt.parent_schema, mt.parent_name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = mt.parent;
  return mt;
end
$$;
COMMENT ON FUNCTION _tide.load_managed_table(parent regclass) IS 'Settings of a managed table with its current schema/name; raises TD001 when it is not managed.';
CREATE FUNCTION _tide.local_position(mt _tide.managed_tables, local_time timestamp without time zone) RETURNS bigint
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select (extract(epoch from (local_time at time zone
            case when mt.control_type = 'timestamptz'::regtype then mt.time_zone else 'UTC' end)) * 1000000)::bigint;
$$;
COMMENT ON FUNCTION _tide.local_position(mt _tide.managed_tables, local_time timestamp without time zone) IS 'Wall-clock time in the table''s time zone as a position on its key axis.';
CREATE FUNCTION _tide.lock_key(name text, object oid DEFAULT 0) RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  -- Known names: 'install' (the installer, exclusive; maintenance takes it shared),
  -- 'maintain' (one table's maintenance, object = parent oid), 'archive' (one archive job).
  select hashtextextended('pgtide:' || name || ':' || current_database() || ':' || object::text, 0);
$$;
COMMENT ON FUNCTION _tide.lock_key(name text, object oid) IS 'Advisory-lock key for pgtide lock NAME on OBJECT in the current database (install, maintain, archive…). Takes no locks itself.';
CREATE FUNCTION _tide.log_action(run_id bigint, parent regclass, action text, partition text, outcome text, rows bigint DEFAULT NULL::bigint, started timestamp with time zone DEFAULT NULL::timestamp with time zone, sqlstate text DEFAULT NULL::text, message text DEFAULT NULL::text, detail text DEFAULT NULL::text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  insert into _tide.log (run_id, parent_oid, parent, action, partition, rows, duration, outcome, sqlstate, message, detail)
  values (run_id, parent, parent::text, action, partition, rows,
          case when started is not null then clock_timestamp() - started end,
          outcome, sqlstate, message, detail);
$$;
COMMENT ON FUNCTION _tide.log_action(run_id bigint, parent regclass, action text, partition text, outcome text, rows bigint, started timestamp with time zone, sqlstate text, message text, detail text) IS 'Records one maintenance action in _tide.log.';
CREATE FUNCTION _tide.maintain_table(parent regclass, as_of timestamp with time zone DEFAULT now(), run_id bigint DEFAULT NULL::bigint, OUT outcome text, OUT partitions_created integer, OUT rows_moved bigint, OUT partitions_expired integer, OUT message text) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  mt        _tide.managed_tables;
  started   timestamptz := clock_timestamp();
  old_lt    text := current_setting('lock_timeout');
  now_pos   bigint;
  from_pos  bigint;
  thru_pos  bigint;
  slot      record;
  made      record;
  p         record;
  cutoff    bigint;
  i         integer;
  st        text;
  msg       text;
begin
  outcome := 'ok'; partitions_created := 0; rows_moved := 0; partitions_expired := 0;
  mt := _tide.load_managed_table(parent);
  if not mt.enabled then
    outcome := 'skipped'; message := 'maintenance is disabled for this table (tide.config.enabled)';
    perform _tide.log_action(run_id, parent, 'maintain', null, 'skipped', null, started, message => message);
    return;
  end if;
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    outcome := 'busy'; message := 'another session is maintaining this table';
    perform _tide.log_action(run_id, parent, 'maintain', null, 'busy', null, started, message => message);
    return;
  end if;
  perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint || 'ms', true);
  -- Rule 2 across statements: once this transaction holds a lock that stops application writes
  -- (ACCESS EXCLUSIVE on the parent after a drop/detach, on the default after an attach), a later
  -- lock wait would make them queue behind it too, and a backoff sleep would hold them for nothing.
  -- From then on every lock is tried once (one lock_timeout) and the rest is left to the next run.
  <<work>>
  begin
    -- the default partition first, so rows of missing ranges have somewhere to go
    if mt.default_partition and not exists (select from pg_partitioned_table pt where pt.partrelid = mt.parent and pt.partdefid <> 0) then
      begin
        perform _tide.create_default_partition(mt, run_id);
      exception when lock_not_available then
        get stacked diagnostics msg = message_text;
        outcome := 'lock_timeout'; message := msg;
        perform _tide.log_action(run_id, parent, 'create_default', null, 'lock_timeout', null, started, '55P03', msg);
        exit work;
      end;
    end if;
    -- create ahead: from the grid cell holding as_of (or the oldest partition, to fill gaps)
    now_pos := _tide.current_position(mt, as_of);
    from_pos := _tide.grid_floor(mt, now_pos);
    select least(from_pos, min(coalesce(l.lower_pos, l.upper_pos))) into from_pos
      from _tide.list_partitions(mt) l where not l.is_default;
    thru_pos := _tide.grid_floor(mt, now_pos);
    for i in 0 .. mt.premake loop
      thru_pos := _tide.grid_next(mt, thru_pos);
    end loop;
    for slot in select s.lower_pos, s.upper_pos from _tide.missing_slots(mt, from_pos, thru_pos) s loop
      begin
        select * into made from _tide.create_partition(mt, slot.lower_pos, slot.upper_pos, run_id);
        partitions_created := partitions_created + 1;
        rows_moved := rows_moved + made.rows_moved;
        if exists (select from pg_partitioned_table pt where pt.partrelid = mt.parent and pt.partdefid <> 0) then
          mt.lock_retries := 0;  -- the default is now held ACCESS EXCLUSIVE: see above
        end if;
      exception when lock_not_available then
        get stacked diagnostics msg = message_text;
        outcome := 'lock_timeout'; message := msg;
        perform _tide.log_action(run_id, parent, 'create', _tide.partition_name(mt, slot.lower_pos)::text,
                                 'lock_timeout', null, started, '55P03', msg,
                                 format('gave up after %s retries with lock_timeout %s', mt.lock_retries, mt.lock_timeout));
        exit work;
      end;
    end loop;
    -- retention: a partition expires only when all of its range is older than as_of - keep
    if mt.keep_interval is not null then
      cutoff := _tide.local_position(mt, (as_of at time zone mt.time_zone) - mt.keep_interval);
    elsif mt.keep_int is not null then
      cutoff := now_pos - mt.keep_int;
    end if;
    if cutoff is not null then
      for p in select l.* from _tide.list_partitions(mt) l
                where not l.is_default and l.upper_pos is not null and l.upper_pos <= cutoff
                order by l.lower_pos nulls first loop
        begin
          perform _tide.expire_partition(mt, p.partition, p.lower_bound, p.upper_bound, run_id);
          partitions_expired := partitions_expired + 1;
          mt.lock_retries := 0;  -- the parent is now held ACCESS EXCLUSIVE: see above
        exception when lock_not_available then
          get stacked diagnostics msg = message_text;
          outcome := 'lock_timeout'; message := msg;
          perform _tide.log_action(run_id, parent, mt.on_expire, p.partition::text, 'lock_timeout', null, started, '55P03', msg,
                                   format('gave up after %s retries with lock_timeout %s', mt.lock_retries, mt.lock_timeout));
          exit work;
        end;
      end loop;
    end if;
  end;
  perform set_config('lock_timeout', old_lt, true);
  if outcome = 'ok' then
    message := format('%s created, %s rows moved, %s expired', partitions_created, rows_moved, partitions_expired);
    update _tide.managed_tables m
       set next_due_at = _tide.next_due_at(mt, as_of), due_signature = _tide.due_signature(mt)
     where m.parent = maintain_table.parent;
  else
    update _tide.managed_tables m set next_due_at = null where m.parent = maintain_table.parent and m.next_due_at is not null;
  end if;
  perform _tide.log_action(run_id, parent, 'maintain', null, outcome, rows_moved, started, message => message);
end
$$;
COMMENT ON FUNCTION _tide.maintain_table(parent regclass, as_of timestamp with time zone, run_id bigint, OUT outcome text, OUT partitions_created integer, OUT rows_moved bigint, OUT partitions_expired integer, OUT message text) IS 'One table''s maintenance in the caller''s transaction (no COMMIT): create ahead, move default rows, retention; logs every action. Locks the parent only under its lock_timeout.';
CREATE FUNCTION _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint) RETURNS TABLE(lower_pos bigint, upper_pos bigint)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  lo     bigint[];
  hi     bigint[];
  nm     text[];
  n      integer;
  j      integer := 1;
  pos    bigint := from_pos;
  nxt    bigint;
begin
  select coalesce(array_agg(p.lower_pos order by p.lower_pos nulls first), '{}'),
         coalesce(array_agg(p.upper_pos order by p.lower_pos nulls first), '{}'),
         coalesce(array_agg(p.partition::text order by p.lower_pos nulls first), '{}')
    into lo, hi, nm
    from _tide.list_partitions(mt) p where not p.is_default;
  n := cardinality(lo);
  while pos < through_pos loop
    -- skip the partitions wholly below pos
    while j <= n and hi[j] is not null and hi[j] <= pos loop
      j := j + 1;
    end loop;
    if j <= n and (lo[j] is null or lo[j] <= pos) then
      if hi[j] is null then
        return;  -- covered to MAXVALUE
      end if;
      -- an end where the next partition starts needs no grid check (nothing is created there)
      if not (j < n and lo[j + 1] = hi[j]) and not _tide.is_grid_point(mt, hi[j]) then
        raise exception using errcode = 'TD002',
          message = format('partition %s of %s ends off the partition grid', nm[j], mt.parent),
          detail = format('It ends at %s, which is not an edge of the %s grid.', _tide.position_bound(mt, hi[j]), mt.every),
          hint = 'Split or re-create that partition on the grid before pgtide can continue after it.';
      end if;
      pos := hi[j];
      continue;
    end if;
    nxt := _tide.grid_next(mt, pos);
    if j <= n and lo[j] > pos and lo[j] < nxt then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s starts off the partition grid', nm[j], mt.parent),
        detail = format('It starts at %s, inside the cell [%s, %s).', _tide.position_bound(mt, lo[j]),
                        _tide.position_bound(mt, pos), _tide.position_bound(mt, nxt)),
        hint = 'Re-create that partition on the grid, or choose an interval that matches the existing partitions.';
    end if;
    lower_pos := pos; upper_pos := nxt;
    return next;
    pos := nxt;
  end loop;
end
$$;
COMMENT ON FUNCTION _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint) IS 'Every uncovered grid cell in [from, through) of a managed table, in key order; raises TD002 when a partition lies off the grid.';
CREATE FUNCTION _tide.next_due_at(mt _tide.managed_tables, as_of timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  create_at  timestamptz;
  expire_at  timestamptz;
  oldest_hi  bigint;
begin
  if mt.every_int is not null or mt.every_interval is null then
    return null;
  end if;
  create_at := _tide.position_local(mt, _tide.grid_next(mt, _tide.grid_floor(mt, _tide.current_position(mt, as_of))))
               at time zone mt.time_zone;
  if mt.keep_interval is not null then
    select min(l.upper_pos) into oldest_hi from _tide.list_partitions(mt) l where not l.is_default;
    if oldest_hi is not null then
      expire_at := (_tide.position_local(mt, oldest_hi) + mt.keep_interval) at time zone mt.time_zone;
    end if;
  end if;
  return least(create_at, expire_at);
end
$$;
COMMENT ON FUNCTION _tide.next_due_at(mt _tide.managed_tables, as_of timestamp with time zone) IS 'The earliest as_of after AS_OF at which a managed table needs maintenance again (next grid cell or next expiry); NULL for integer keys.';
CREATE FUNCTION _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint) RETURNS TABLE(lower_pos bigint, upper_pos bigint)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select s.lower_pos, s.upper_pos from _tide.missing_slots(mt, from_pos, through_pos) s limit 1;
$$;
COMMENT ON FUNCTION _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint) IS 'First uncovered grid cell in [from, through) of a managed table; raises TD002 when a partition lies off the grid.';
CREATE FUNCTION _tide.obs_cron_period(schedule text) RETURNS interval
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
  select case
    when f is null then interval '1 day'
    when s ~ '^[0-9]+ seconds?$' then make_interval(secs => split_part(s, ' ', 1)::int)
    when f[1] = '*' and f[2] = '*' then interval '1 minute'
    when f[1] ~ '^\*/[0-9]+$' and f[2] = '*' then make_interval(mins => greatest(substr(f[1], 3)::int, 1))
    when f[1] ~ '^[0-9,]+$' and f[2] = '*'
      then make_interval(mins => 60 / greatest(array_length(string_to_array(f[1], ','), 1), 1))
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^\*/[0-9]+$' then make_interval(hours => greatest(substr(f[2], 3)::int, 1))
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^[0-9]+$' and f[3] = '*' and f[4] = '*' and f[5] = '*' then interval '1 day'
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^[0-9]+$' and f[3] = '*' and f[4] = '*' then interval '7 days'
    else interval '1 day'
  end
  from (select btrim(schedule) as s,
               case when array_length(regexp_split_to_array(btrim(schedule), '\s+'), 1) = 5
                    then regexp_split_to_array(btrim(schedule), '\s+') end as f) x
$_$;
COMMENT ON FUNCTION _tide.obs_cron_period(schedule text) IS 'Approximate interval between runs of a cron schedule (exact for */N minutes, hourly, daily; 1 day otherwise). Used by tide.health.';
CREATE FUNCTION _tide.obs_cron_state(OUT cron_loaded boolean, OUT cron_database text, OUT cron_visible boolean, OUT job_name text, OUT jobid bigint, OUT schedule text, OUT active boolean, OUT last_status text, OUT last_start timestamp with time zone, OUT last_end timestamp with time zone, OUT last_message text, OUT last_failed_at timestamp with time zone, OUT last_failed_message text) RETURNS record
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
begin
  job_name := _tide.cron_job_name();
  cron_database := current_setting('cron.database_name', true);
  cron_loaded := cron_database is not null;
  cron_visible := to_regclass('cron.job') is not null
                  and has_table_privilege('cron.job', 'select')
                  and has_table_privilege('cron.job_run_details', 'select');
  if not cron_visible then
    return;
  end if;
  execute $q$select j.jobid, j.schedule, j.active from cron.job j
              where j.jobname = $1 and j.database = current_database()
              order by j.jobid desc limit 1$q$
     into jobid, schedule, active using job_name;
  if jobid is null then
    return;
  end if;
  execute $q$select d.status, d.start_time, d.end_time, d.return_message from cron.job_run_details d
              where d.jobid = $1 and d.status in ('succeeded', 'failed')
              order by d.start_time desc nulls last, d.runid desc limit 1$q$
     into last_status, last_start, last_end, last_message using jobid;
  if last_status = 'failed' then
    last_failed_at := last_start;
    last_failed_message := last_message;
  end if;
end
$_$;
COMMENT ON FUNCTION _tide.obs_cron_state(OUT cron_loaded boolean, OUT cron_database text, OUT cron_visible boolean, OUT job_name text, OUT jobid bigint, OUT schedule text, OUT active boolean, OUT last_status text, OUT last_start timestamp with time zone, OUT last_end timestamp with time zone, OUT last_message text, OUT last_failed_at timestamp with time zone, OUT last_failed_message text) IS 'pgtide''s pg_cron job as seen from this database: whether pg_cron is loaded and its schema visible here, the job, its schedule and its latest finished run. Reads cron.job and cron.job_run_details only; never fails when they are absent. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.obs_default_rows(default_partition regclass, cap bigint DEFAULT 10000) RETURNS bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '200ms'
    AS $_$
declare
  n bigint;
begin
  execute format('select count(*) from (select from only %s limit $1) s', default_partition::text)
     into n using cap + 1;
  return case when n > cap then null else n end;
exception when lock_not_available then
  return null;  -- the caller falls back to the estimate
end
$_$;
COMMENT ON FUNCTION _tide.obs_default_rows(default_partition regclass, cap bigint) IS 'Exact row count of a default partition when at most CAP rows (reads at most CAP + 1), else NULL; NULL too when the partition is locked by DDL for more than 200 ms. Takes ACCESS SHARE on the partition. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.obs_explain(query text, path text DEFAULT 'pg_catalog, pg_temp'::text) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET transaction_read_only TO 'on'
    AS $$
declare
  plan json;
begin
  -- the caller's search_path, for this call only (the SET clause restores ours on exit)
  perform set_config('search_path', path, true);
  execute 'explain (verbose, costs off, format json) ' || query into plan;
  return plan::jsonb;
end
$$;
COMMENT ON FUNCTION _tide.obs_explain(query text, path text) IS 'EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) of QUERY without running it, with transaction_read_only on and search_path = PATH for the call. Internal to tide.partitions_scanned, which checks QUERY first.';
CREATE FUNCTION _tide.obs_health(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(parent text, "check" text, severity text, detail text, hint text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    AS $_$
  with t as materialized (
    select x.*, format('%I.%I', x.parent_schema, x.parent_name) as qname from _tide.obs_tables(as_of) x
  ),
  cron as materialized (
    select c.*,
           _tide.obs_cron_period(coalesce(c.schedule,
             (select value from _tide.settings where name = 'cron_schedule'), '*/10 * * * *')) as period
      from _tide.obs_cron_state() c
  ),
  s as (
    select coalesce((select value::numeric from _tide.settings where name = 'oversized_partition_factor'), 10) as factor,
           coalesce((select value::bigint from _tide.settings where name = 'oversized_partition_min_bytes'), 67108864) as min_bytes
  ),
  p as materialized (
    select x.* from _tide.obs_partitions() x
  )
  -- a managed table that was dropped, or replaced by a table that is not partitioned
  select t.qname, 'table_missing', 'critical',
         case when t.table_state = 'missing' then format('managed table %s no longer exists', t.qname)
              else format('managed table %s is no longer a partitioned table', t.qname) end,
         format('select tide.unmanage(%L::regclass);  -- forget it (oid %s)', t.parent::oid, t.parent::oid)
    from t where t.table_state <> 'ok'
  union all
  -- too few partitions ahead of now: inserts will soon land in the default, or fail
  select t.qname, 'missing_partitions',
         case when t.current_partition is null or t.partitions_ahead = 0 then 'critical' else 'warning' end,
         case when t.current_partition is null
                then format('%s has no partition for the current key; writes go to %s', t.qname,
                            case when t.default_partition then 'the default partition' else 'nowhere (they fail)' end)
              else format('%s is covered until %s: %s partition(s) ahead, premake is %s',
                          t.qname, t.covered_until, t.partitions_ahead, t.premake) end,
         format('CALL tide.run_maintenance(%L);', t.qname)
    from t where t.table_state = 'ok' and t.enabled and (t.current_partition is null or t.partitions_ahead < t.premake)
  union all
  -- rows that landed in the default partition block future partitions and are never pruned
  select t.qname, 'default_rows', 'warning',
         format('%s has %s%s row(s) in its default partition', t.qname,
                case when t.default_rows_exact then '' else '~' end, t.default_rows),
         format('CALL tide.drain_default(%L);', t.qname)
    from t where t.table_state = 'ok' and coalesce(t.default_rows, 0) > 0
  union all
  -- retention due for longer than two schedule periods (one hour at least)
  select t.qname, 'retention_overdue', 'warning',
         format('%s has %s partition(s) older than keep = %s (oldest ends %s) still attached',
                t.qname, t.expired_partitions, t.keep, t.oldest_expired_upper),
         format('CALL tide.run_maintenance(%L);', t.qname)
    from t cross join cron
   where t.table_state = 'ok' and t.enabled and t.expired_partitions > 0
     and (t.control_type in ('integer'::regtype, 'bigint'::regtype)
          or (select _tide.local_position(m, (as_of at time zone m.time_zone) - m.keep_interval
                                              - greatest(2 * cron.period, interval '1 hour'))
                from _tide.managed_tables m where m.parent = t.parent)
             >= _tide.key_position((select m from _tide.managed_tables m where m.parent = t.parent), t.oldest_expired_upper))
  union all
  -- the last maintenance of the table failed
  select t.qname, 'maintenance_failing',
         case when t.last_outcome = 'error' or t.failures_in_a_row >= 3 then 'critical' else 'warning' end,
         format('last maintenance of %s at %s: %s (%s failure(s) in a row): %s', t.qname,
                date_trunc('second', t.last_run_at), t.last_outcome, t.failures_in_a_row, coalesce(t.last_message, '')),
         format('select * from tide.maintenance_log where parent = %L order by logged_at desc limit 20;  -- then CALL tide.run_maintenance(%L);',
                t.qname, t.qname)
    from t where t.last_outcome in ('error', 'lock_timeout')
  union all
  -- scheduled, but the table has not been maintained for twice the schedule
  select t.qname, 'maintenance_stale', 'warning',
         case when t.last_run_at is null
                then format('%s has never been maintained (managed since %s, schedule every %s)', t.qname,
                            date_trunc('second', (select m.created_at from _tide.managed_tables m where m.parent = t.parent)), cron.period)
              else format('%s was last maintained at %s, more than twice its schedule (%s) ago', t.qname,
                          date_trunc('second', t.last_run_at), cron.period) end,
         format('CALL tide.run_maintenance(%L);  -- and check the job: select * from tide.health where "check" like ''cron%%'';', t.qname)
    from t cross join cron
   where t.table_state = 'ok' and t.enabled
     and coalesce(t.last_run_at, (select m.created_at from _tide.managed_tables m where m.parent = t.parent))
         < as_of - 2 * cron.period
     and not (cron.cron_visible and cron.jobid is null)
  union all
  -- nothing will run maintenance
  select null::text, 'not_scheduled', 'warning',
         case when not cron.cron_loaded
                then 'pg_cron is not loaded in this server, so nothing runs tide.run_maintenance() on a schedule'
              when cron.cron_visible and cron.jobid is null
                then format('no pg_cron job %s runs tide.run_maintenance() in database %s', cron.job_name, current_database())
              when cron.cron_visible
                then format('pg_cron job %s (jobid %s) is inactive', cron.job_name, cron.jobid)
              else format('pg_cron lives in database %s, so its job cannot be seen from here, and no maintenance ran in the last %s',
                          cron.cron_database, 2 * cron.period) end,
         case when not cron.cron_loaded
                then 'Add pg_cron to shared_preload_libraries (or call CALL tide.run_maintenance() from another scheduler)'
              else 'select tide.schedule();' end
    from cron
   where exists (select from _tide.managed_tables m where m.enabled)
     and (not cron.cron_loaded
          or (cron.cron_visible and (cron.jobid is null or not cron.active))
          or (not cron.cron_visible
              and not exists (select from _tide.runs r where r.started_at >= as_of - 2 * cron.period)))
  union all
  -- the latest finished run of our pg_cron job failed
  select null::text, 'cron_run_failed', 'critical',
         format('pg_cron job %s (jobid %s) failed at %s: %s', cron.job_name, cron.jobid,
                date_trunc('second', cron.last_failed_at), coalesce(cron.last_failed_message, '')),
         format('select * from cron.job_run_details where jobid = %s order by start_time desc limit 5;  -- fix the cause, then CALL tide.run_maintenance();',
                cron.jobid)
    from cron where cron.last_failed_at is not null
  union all
  -- one partition far larger than its siblings (skewed data, or rows of a wrong key)
  select format('%I.%I', m.parent_schema, m.parent_name), 'oversized_partition', 'warning',
         format('%s is %s, %s× the median of its %s siblings (%s)', x.partition, pg_size_pretty(x.total_bytes),
                round((x.total_bytes / x.median)::numeric, 1), x.siblings, pg_size_pretty(x.median::bigint)),
         format('select * from tide.partitions where partition = %L::regclass;  -- then see tide.recommendations', x.partition)
    from (select q.*, percentile_cont(0.5) within group (order by q2.total_bytes) as median, count(q2.*) as siblings
            from p q join p q2 on q2.parent = q.parent and q2.partition <> q.partition
                               and not q2.detached and q2.total_bytes > 0 and not q2.is_default
           where not q.detached
           group by q.parent, q.partition, q.partition_schema, q.partition_name, q.lower_bound, q.upper_bound,
                    q.time_range, q.int_range, q.is_default, q.detached, q.detach_pending, q.row_estimate,
                    q.table_bytes, q.toast_bytes, q.index_bytes, q.total_bytes, q.dead_tuples, q.last_vacuum,
                    q.last_autovacuum, q.last_analyze, q.last_autoanalyze, q.seq_scans, q.idx_scans) x
    join _tide.managed_tables m on m.parent = x.parent
    cross join s
   where x.siblings >= 3 and x.total_bytes >= s.min_bytes and x.total_bytes > s.factor * x.median
  union all
  -- DETACH PARTITION CONCURRENTLY interrupted half-way
  select format('%I.%I', m.parent_schema, m.parent_name), 'detach_pending', 'warning',
         format('partition %s of %s is half detached (DETACH CONCURRENTLY was interrupted)', x.partition, x.parent),
         format('ALTER TABLE %s DETACH PARTITION %s FINALIZE;', x.parent, x.partition)
    from p x join _tide.managed_tables m on m.parent = x.parent
   where x.detach_pending
  union all
  -- a table named like one of our partitions that is attached nowhere and that pgtide does not keep:
  -- left over by an interrupted creation
  select format('%I.%I', m.parent_schema, m.parent_name), 'leftover_table', 'warning',
         format('table %s looks like a half-built partition of %s (not attached, not kept by pgtide)',
                c.oid::regclass, format('%I.%I', m.parent_schema, m.parent_name)),
         format('CALL tide.run_maintenance(%L);  -- reuses or removes it; if it holds data of yours: ALTER TABLE %s RENAME TO …',
                format('%I.%I', m.parent_schema, m.parent_name), c.oid::regclass)
    from _tide.managed_tables m
    join pg_class pc on pc.oid = m.parent::oid
    join pg_class c on c.relnamespace = pc.relnamespace and c.relkind in ('r', 'p') and not c.relispartition
                   and c.oid <> pc.oid
                   and left(c.relname, length(m.parent_name) + 1) = m.parent_name || '_'
                   and substr(c.relname, length(m.parent_name) + 2)
                       ~ '^([0-9]{4}(_q[1-4]|_w[0-9]{2}|_[0-9]{2}(_[0-9]{2}(_[0-9]{4}([0-9]{2})?)?)?)?|p-?[0-9]+|default)$'
   where not exists (select from _tide.detached d where d.partition::oid = c.oid)
     and not exists (select from _tide.archives a where a.partition::oid = c.oid and a.state <> 'dropped')
  union all
  -- archive queue: jobs waiting too long, failed jobs (defined with the archive queue)
  select a.parent, a."check", a.severity, a.detail, a.hint from _tide.archive_problems(as_of) a
$_$;
COMMENT ON FUNCTION _tide.obs_health(as_of timestamp with time zone) IS 'Every problem pgtide sees as of AS_OF: parent, check, severity (warning/critical), detail, hint. Backs tide.health. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.obs_partitions() RETURNS TABLE(parent regclass, partition regclass, partition_schema name, partition_name name, lower_bound text, upper_bound text, time_range tstzrange, int_range int8range, is_default boolean, detached boolean, detach_pending boolean, row_estimate bigint, table_bytes bigint, toast_bytes bigint, index_bytes bigint, total_bytes bigint, dead_tuples bigint, last_vacuum timestamp with time zone, last_autovacuum timestamp with time zone, last_analyze timestamp with time zone, last_autoanalyze timestamp with time zone, seq_scans bigint, idx_scans bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    AS $_$
  with members as (
    -- attached partitions (one level: the managed parent's direct children)
    select m.parent, i.inhrelid as relid, false as detached, i.inhdetachpending as detach_pending,
           m.control_type, m.time_zone, null::text as kept_lower, null::text as kept_upper
      from _tide.managed_tables m
      join pg_inherits i on i.inhparent = m.parent::oid
    union all
    -- partitions retention detached and keeps as plain tables
    select m.parent, d.partition::oid, true, false, m.control_type, m.time_zone, d.lower_bound, d.upper_bound
      from _tide.detached d
      join _tide.managed_tables m on m.parent::oid = d.parent_oid
      join pg_class dc on dc.oid = d.partition::oid and not dc.relispartition
    union all
    -- partitions detached for archiving whose table still exists and is not listed above
    select m.parent, a.partition::oid, true, false, m.control_type, m.time_zone, a.lower_bound, a.upper_bound
      from _tide.archives a
      join _tide.managed_tables m on m.parent::oid = a.parent_oid
      join pg_class ac on ac.oid = a.partition::oid and not ac.relispartition
     where a.state <> 'dropped'
       and not exists (select from _tide.detached d where d.partition::oid = a.partition::oid)
  ),
  parsed as materialized (
    select mb.*, c.relname, c.relnamespace, c.relpages, c.reltuples, c.reltoastrelid,
           -- relid 0: a bound holds constants only, so nothing needs opening (and locking) to print it
           pg_get_expr(c.relpartbound, 0) as expr
      from members mb
      join pg_class c on c.oid = mb.relid
  ),
  bounded as materialized (
    select p.*,
           coalesce(p.expr = 'DEFAULT', false) as is_def,
           -- single-column range bounds, parsed with one regular expression; anything else (several
           -- key columns) goes through _tide.partition_bounds, which scans the expression by hand
           regexp_match(p.expr,
             '^FOR VALUES FROM \(((?:''(?:[^'']|'''')*'')|[^,()'']+)\) TO \(((?:''(?:[^'']|'''')*'')|[^,()'']+)\)$') as m
      from parsed p
  ),
  texts as materialized (
    select b.*,
           case when b.detached then b.kept_lower
                when b.is_def then null
                when b.m is not null then
                  case when b.m[1] in ('MINVALUE', 'MAXVALUE') then null
                       when left(b.m[1], 1) = '''' then replace(substr(b.m[1], 2, length(b.m[1]) - 2), '''''', '''')
                       else b.m[1] end
                else (select x.lower_bound from _tide.partition_bounds(b.relid::regclass) x) end as lo,
           case when b.detached then b.kept_upper
                when b.is_def then null
                when b.m is not null then
                  case when b.m[2] in ('MINVALUE', 'MAXVALUE') then null
                       when left(b.m[2], 1) = '''' then replace(substr(b.m[2], 2, length(b.m[2]) - 2), '''''', '''')
                       else b.m[2] end
                else (select x.upper_bound from _tide.partition_bounds(b.relid::regclass) x) end as hi
      from bounded b
  )
  select t.parent,
         t.relid::regclass,
         n.nspname,
         t.relname,
         t.lo,
         t.hi,
         case when t.is_def then null
              when t.control_type = 'timestamptz'::regtype then tstzrange(t.lo::timestamptz, t.hi::timestamptz)
              when t.control_type = 'timestamp'::regtype
                then tstzrange(t.lo::timestamp at time zone t.time_zone, t.hi::timestamp at time zone t.time_zone)
              when t.control_type = 'date'::regtype
                then tstzrange(t.lo::date::timestamp at time zone t.time_zone, t.hi::date::timestamp at time zone t.time_zone)
         end,
         case when not t.is_def and t.control_type in ('integer'::regtype, 'bigint'::regtype, 'smallint'::regtype)
              then int8range(t.lo::bigint, t.hi::bigint) end,
         t.is_def,
         t.detached,
         t.detach_pending,
         case when t.reltuples >= 0 then t.reltuples::bigint else pg_stat_get_live_tuples(t.relid) end,
         t.relpages::bigint * bs.b,
         coalesce(tst.pages, 0) * bs.b,
         coalesce(ix.pages, 0) * bs.b,
         (t.relpages::bigint + coalesce(tst.pages, 0) + coalesce(ix.pages, 0)) * bs.b,
         pg_stat_get_dead_tuples(t.relid),
         pg_stat_get_last_vacuum_time(t.relid),
         pg_stat_get_last_autovacuum_time(t.relid),
         pg_stat_get_last_analyze_time(t.relid),
         pg_stat_get_last_autoanalyze_time(t.relid),
         pg_stat_get_numscans(t.relid),
         coalesce(ix.scans, 0)
    from texts t
    join pg_namespace n on n.oid = t.relnamespace
    cross join (select current_setting('block_size')::bigint as b) bs
    left join lateral (
      select sum(ic.relpages)::bigint as pages, sum(pg_stat_get_numscans(ic.oid))::bigint as scans
        from pg_index x join pg_class ic on ic.oid = x.indexrelid
       where x.indrelid = t.relid
    ) ix on true
    left join lateral (
      select (tc.relpages + coalesce((select sum(tic.relpages)
                                        from pg_index tx join pg_class tic on tic.oid = tx.indexrelid
                                       where tx.indrelid = tc.oid), 0))::bigint as pages
        from pg_class tc
       where tc.oid = t.reltoastrelid and t.reltoastrelid <> 0
    ) tst on true
$_$;
COMMENT ON FUNCTION _tide.obs_partitions() IS 'Every partition of every managed table, plus the ones pgtide detached and keeps, with bounds, catalog size estimates and statistics. Reads the catalog and statistics only; opens and locks no partition. Backs tide.partitions. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.obs_recommendations(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(parent text, recommendation text, detail text, action text, evidence jsonb)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  with m as (
    select mt, format('%I.%I', mt.parent_schema, mt.parent_name) as qname
      from _tide.managed_tables mt join pg_class c on c.oid = mt.parent::oid and c.relkind = 'p'
  ),
  p as materialized (
    select x.*, (m.mt).every, (m.mt).keep, m.qname,
           _tide.key_position(m.mt, x.upper_bound) as hi,
           _tide.current_position(m.mt, as_of) as cur
      from _tide.obs_partitions() x join m on (m.mt).parent = x.parent
     where not x.detached and not x.is_default
  ),
  s as (
    select pg_size_bytes(current_setting('effective_cache_size')) as memory,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_count'), 1000) as tiny_count,
           coalesce((select value::bigint from _tide.settings where name = 'tiny_partition_bytes'), 1048576) as tiny_bytes
  ),
  complete as (
    select p.*, row_number() over (partition by p.parent order by p.hi desc) as k from p where p.hi <= p.cur
  )
  -- complete partitions larger than memory: each one's scans and vacuums cannot stay cached
  select c.qname, 'interval_too_coarse',
         format('%s complete partition(s) of %s are larger than effective_cache_size (%s); largest %s',
                count(*), c.qname, pg_size_pretty(s.memory), pg_size_pretty(max(c.total_bytes))),
         format('Use a finer interval than every = %s for new data (partitions of a fraction of memory keep vacuum and index builds cheap)', min(c.every)),
         jsonb_build_object('partitions', count(*), 'largest_bytes', max(c.total_bytes), 'memory_bytes', s.memory)
    from complete c cross join s
   where c.total_bytes > s.memory
   group by c.qname, s.memory
  union all
  -- thousands of tiny partitions: planning and catalog cost without benefit
  select p.qname, 'interval_too_fine',
         format('%s has %s partitions averaging %s', p.qname, count(*), pg_size_pretty(avg(p.total_bytes)::bigint)),
         format('Use a coarser interval than every = %s: fewer, larger partitions plan faster', min(p.every)),
         jsonb_build_object('partitions', count(*), 'avg_bytes', avg(p.total_bytes)::bigint, 'threshold_count', s.tiny_count)
    from p cross join s
   group by p.qname, s.tiny_count, s.tiny_bytes
  having count(*) >= s.tiny_count and avg(p.total_bytes) < s.tiny_bytes
  union all
  -- old partitions that were analyzed and hold no rows
  select c.qname, 'empty_old_partitions',
         format('%s has %s empty complete partition(s), oldest %s', c.qname, count(*), min(c.partition::text)),
         'Drop them if no data will arrive for those ranges, or set keep so retention removes them: UPDATE tide.config SET keep = … WHERE parent = ''' || c.qname || '''::regclass',
         jsonb_build_object('partitions', count(*), 'names', jsonb_agg(c.partition::text order by c.hi))
    from complete c
   where c.row_estimate = 0 and (c.last_analyze is not null or c.last_autoanalyze is not null
                                 or c.last_vacuum is not null or c.last_autovacuum is not null)
   group by c.qname
  union all
  -- an index of the parent never used on any old partition
  select q.qname, 'unused_index_on_old_partitions',
         format('index %s was never scanned on %s complete partition(s) of %s older than the last one (%s)',
                q.parent_index, q.n, q.qname, pg_size_pretty(q.bytes)),
         format('If old data is not looked up through it, drop %s on the parent (or replace it by a partial index); it costs %s on old partitions',
                q.parent_index, pg_size_pretty(q.bytes)),
         jsonb_build_object('index', q.parent_index, 'partitions', q.n, 'bytes', q.bytes)
    from (select c.qname, pi.inhparent::regclass::text as parent_index, count(*) as n,
                 sum(ic.relpages::bigint * current_setting('block_size')::bigint) as bytes
            from complete c
            join pg_index x on x.indrelid = c.partition::oid
            join pg_class ic on ic.oid = x.indexrelid
            join pg_inherits pi on pi.inhrelid = x.indexrelid
           where c.k > 1 and not x.indisunique
           group by c.qname, pi.inhparent
          having sum(pg_stat_get_numscans(x.indexrelid)) = 0 and count(*) >= 2) q
  union all
  -- the oldest partitions are never read: a shorter keep would cost nothing
  select u.qname, 'shorter_keep',
         format('the %s oldest partition(s) of %s (%s) were never scanned since statistics were reset', u.n, u.qname, pg_size_pretty(u.bytes)),
         format('UPDATE tide.config SET keep = %L WHERE parent = %L::regclass;  -- keeps the %s partitions that are read',
                format('%s intervals of %s', u.k_read, u.every), u.qname, u.k_read),
         jsonb_build_object('unread_partitions', u.n, 'unread_bytes', u.bytes, 'keep', u.keep)
    from (select c.qname, min(c.every) as every, min(c.keep) as keep, count(*) as n, sum(c.total_bytes) as bytes,
                 min(c.k) - 1 as k_read
            from complete c
           where c.k > coalesce((select max(c2.k) from complete c2
                                  where c2.parent = c.parent and c2.seq_scans + c2.idx_scans > 0), 0)
           group by c.qname, c.parent) u
   where u.n >= 2 and u.bytes > 0 and u.k_read >= 1
$$;
COMMENT ON FUNCTION _tide.obs_recommendations(as_of timestamp with time zone) IS 'Advice for managed tables as of AS_OF from measured statistics: interval_too_coarse, interval_too_fine, empty_old_partitions, unused_index_on_old_partitions, shorter_keep — each with the numbers behind it. Backs tide.recommendations. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.obs_strip_sql(query text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  n      integer := length(query);
  i      integer := 1;
  out    text := '';
  ch     text;
  nx     text;
  depth  integer;
  tag    text;
  j      integer;
begin
  while i <= n loop
    ch := substr(query, i, 1);
    nx := substr(query, i + 1, 1);
    if ch = '-' and nx = '-' then                       -- line comment
      j := strpos(substr(query, i), E'\n');
      i := case when j = 0 then n + 1 else i + j end;
      out := out || ' ';
    elsif ch = '/' and nx = '*' then                    -- block comment, nested
      depth := 1; i := i + 2;
      while i <= n and depth > 0 loop
        if substr(query, i, 2) = '/*' then depth := depth + 1; i := i + 2;
        elsif substr(query, i, 2) = '*/' then depth := depth - 1; i := i + 2;
        else i := i + 1; end if;
      end loop;
      if depth > 0 then
        raise exception using errcode = 'syntax_error', message = 'unterminated /* comment in the query',
          hint = 'Close the comment with */.';
      end if;
      out := out || ' ';
    elsif ch = '''' or ((ch in ('E', 'e')) and nx = '''' and (i = 1 or substr(query, i - 1, 1) !~ '[A-Za-z0-9_$]')) then
      -- string literal; E'' strings honour backslash escapes
      declare esc boolean := ch <> ''''; begin
        i := i + case when esc then 2 else 1 end;
        loop
          if i > n then
            raise exception using errcode = 'syntax_error', message = 'unterminated string literal in the query',
              hint = 'Close the literal with a single quote.';
          end if;
          ch := substr(query, i, 1);
          if esc and ch = '\' then i := i + 2;
          elsif ch = '''' and substr(query, i + 1, 1) = '''' then i := i + 2;
          elsif ch = '''' then i := i + 1; exit;
          else i := i + 1; end if;
        end loop;
      end;
      out := out || ' ''x'' ';
    elsif ch = '"' then                                 -- quoted identifier
      i := i + 1;
      loop
        if i > n then
          raise exception using errcode = 'syntax_error', message = 'unterminated quoted identifier in the query',
            hint = 'Close the identifier with a double quote.';
        end if;
        if substr(query, i, 2) = '""' then i := i + 2;
        elsif substr(query, i, 1) = '"' then i := i + 1; exit;
        else i := i + 1; end if;
      end loop;
      out := out || ' "x" ';
    elsif ch = '$' and (i = 1 or substr(query, i - 1, 1) !~ '[A-Za-z0-9_$]')
          and substring(substr(query, i) from '^\$([A-Za-z_][A-Za-z0-9_]*)?\$') is not null
          or (ch = '$' and nx = '$') then               -- dollar-quoted string
      tag := substring(substr(query, i) from '^(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)');
      j := strpos(substr(query, i + length(tag)), tag);
      if j = 0 then
        raise exception using errcode = 'syntax_error', message = format('unterminated dollar-quoted string %s in the query', tag),
          hint = format('Close it with %s.', tag);
      end if;
      i := i + length(tag) + j - 1 + length(tag);
      out := out || ' ''x'' ';
    else
      out := out || ch;
      i := i + 1;
    end if;
  end loop;
  return out;
end
$_$;
COMMENT ON FUNCTION _tide.obs_strip_sql(query text) IS 'QUERY with comments removed and literals, dollar-quoted strings and quoted identifiers replaced by placeholders (a lexical skeleton for statement checks). Raises syntax_error on an unterminated one.';
CREATE FUNCTION _tide.obs_tables(as_of timestamp with time zone DEFAULT now()) RETURNS TABLE(parent regclass, parent_schema name, parent_name name, table_state text, control name, control_type regtype, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, enabled boolean, partitions integer, detached_partitions integer, oldest_bound text, newest_bound text, current_partition regclass, covered_until text, partitions_ahead integer, default_rows bigint, default_rows_exact boolean, total_bytes bigint, bytes_per_interval bigint, rows_per_interval bigint, expired_partitions integer, oldest_expired_upper text, last_run_at timestamp with time zone, last_outcome text, last_message text, last_success_at timestamp with time zone, failures_in_a_row integer, next_action text, next_action_due timestamp with time zone)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "IntervalStyle" TO 'postgres'
    AS $$
  with mt as (
    select m as r, m.parent,
           case when c.oid is null then 'missing' when c.relkind <> 'p' then 'not_partitioned' else 'ok' end as state
      from _tide.managed_tables m
      left join pg_class c on c.oid = m.parent::oid
  ),
  parts as materialized (
    select p.* from _tide.obs_partitions() p
  ),
  axis as materialized (
    select mt.parent, p.partition, p.lower_bound, p.upper_bound, p.time_range, p.is_default, p.detached,
           p.row_estimate, p.total_bytes,
           _tide.key_position(mt.r, p.lower_bound) as lo, _tide.key_position(mt.r, p.upper_bound) as hi
      from mt join parts p on p.parent = mt.parent
  ),
  now_pos as (
    select mt.parent,
           case when mt.state = 'ok' then _tide.current_position(mt.r, as_of) end as cur,
           case when (mt.r).keep_interval is not null
                  then _tide.local_position(mt.r, (as_of at time zone (mt.r).time_zone) - (mt.r).keep_interval)
                when (mt.r).keep_int is not null and mt.state = 'ok'
                  then _tide.current_position(mt.r, as_of) - (mt.r).keep_int
           end as cutoff
      from mt
  ),
  islands as (
    select a.*, sum(case when a.lo is not distinct from a.prev_hi then 0 else 1 end)
                  over (partition by a.parent order by a.lo nulls first) as grp
      from (select a.*, lag(a.hi) over (partition by a.parent order by a.lo nulls first) as prev_hi
              from axis a where not a.is_default and not a.detached) a
  ),
  cur_part as (
    select distinct on (i.parent) i.parent, i.partition, i.grp, i.time_range
      from islands i join now_pos n on n.parent = i.parent
     where (i.lo is null or i.lo <= n.cur) and (i.hi is null or i.hi > n.cur)
     order by i.parent, i.lo desc nulls last
  ),
  coverage as (
    select c.parent, c.partition as current_partition, upper(c.time_range) as current_ends,
           (select i.upper_bound from islands i where i.parent = c.parent and i.grp = c.grp
             order by i.lo desc nulls last limit 1) as covered_until,
           (select count(*) from islands i join now_pos n on n.parent = i.parent
             where i.parent = c.parent and i.grp = c.grp and i.lo > n.cur)::int as ahead
      from cur_part c
  ),
  agg as (
    select a.parent,
           count(*) filter (where not a.is_default and not a.detached)::int as n_parts,
           count(*) filter (where a.detached)::int as n_detached,
           (array_agg(a.lower_bound order by a.lo) filter (where not a.is_default and not a.detached))[1] as oldest,
           (array_agg(a.upper_bound order by a.hi desc nulls first) filter (where not a.is_default and not a.detached))[1] as newest,
           sum(a.total_bytes) filter (where not a.detached)::bigint as bytes,
           min(a.partition::text) filter (where a.is_default) as default_name,
           max(a.row_estimate) filter (where a.is_default) as default_estimate,
           count(*) filter (where not a.is_default and not a.detached and a.hi <= n.cutoff)::int as expired,
           (array_agg(a.upper_bound order by a.hi) filter (where not a.is_default and not a.detached and a.hi <= n.cutoff))[1] as oldest_expired,
           min(upper(a.time_range)) filter (where not a.is_default and not a.detached) as oldest_upper_time
      from axis a join now_pos n on n.parent = a.parent
     group by a.parent
  ),
  growth as (
    select g.parent, avg(g.total_bytes)::bigint as bytes_per, avg(g.row_estimate)::bigint as rows_per
      from (select a.parent, a.total_bytes, a.row_estimate,
                   row_number() over (partition by a.parent order by a.hi desc) as k
              from axis a join now_pos n on n.parent = a.parent
             where not a.is_default and not a.detached and a.hi <= n.cur) g
     where g.k <= 3
     group by g.parent
  ),
  runs as (
    select mt.parent, l.logged_at, l.outcome, l.message,
           (select max(s.logged_at) from _tide.log s
             where s.parent_oid = mt.parent::oid and s.action = 'maintain' and s.outcome = 'ok') as success_at,
           (select count(*) from _tide.log f
             where f.parent_oid = mt.parent::oid and f.action = 'maintain' and f.outcome in ('error', 'lock_timeout')
               and f.log_id > coalesce((select max(o.log_id) from _tide.log o
                                         where o.parent_oid = mt.parent::oid and o.action = 'maintain'
                                           and o.outcome = 'ok'), 0))::int as failures
      from mt
      left join lateral (select l.logged_at, l.outcome, l.message from _tide.log l
                          where l.parent_oid = mt.parent::oid and l.action = 'maintain'
                          order by l.logged_at desc, l.log_id desc limit 1) l on true
  ),
  dflt as (
    select ag.parent, _tide.obs_default_rows(ag.default_name::regclass) as exact
      from agg ag join mt on mt.parent = ag.parent
     where ag.default_name is not null and mt.state = 'ok'
  )
  select mt.parent, (mt.r).parent_schema, (mt.r).parent_name, mt.state,
         (mt.r).control, (mt.r).control_type, (mt.r).every, (mt.r).premake, (mt.r).keep, (mt.r).on_expire,
         (mt.r).time_zone, (mt.r).default_partition, (mt.r).enabled,
         coalesce(ag.n_parts, 0), coalesce(ag.n_detached, 0), ag.oldest, ag.newest,
         cv.current_partition, cv.covered_until, coalesce(cv.ahead, 0),
         coalesce(d.exact, ag.default_estimate), d.exact is not null,
         coalesce(ag.bytes, 0), gr.bytes_per, gr.rows_per,
         coalesce(ag.expired, 0), ag.oldest_expired,
         r.logged_at, r.outcome, r.message, r.success_at, coalesce(r.failures, 0),
         case when mt.state <> 'ok' then null
              when not (mt.r).enabled then 'none: maintenance is disabled'
              when cv.current_partition is null or coalesce(cv.ahead, 0) < (mt.r).premake then 'create partitions'
              when coalesce(ag.expired, 0) > 0 then format('%s %s partition(s)', (mt.r).on_expire, ag.expired)
              when cv.current_ends is not null
                   and (ag.oldest_upper_time is null or (mt.r).keep_interval is null
                        or cv.current_ends <= ag.oldest_upper_time + (mt.r).keep_interval)
                then 'create partitions'
              when cv.current_ends is not null then format('%s 1 partition', (mt.r).on_expire)
              else 'create partitions when the key passes ' || cv.covered_until
         end,
         case when mt.state <> 'ok' or not (mt.r).enabled then null
              when cv.current_partition is null or coalesce(cv.ahead, 0) < (mt.r).premake
                   or coalesce(ag.expired, 0) > 0 then as_of
              else least(cv.current_ends, ag.oldest_upper_time + (mt.r).keep_interval)
         end
    from mt
    left join agg ag on ag.parent = mt.parent
    left join coverage cv on cv.parent = mt.parent
    left join growth gr on gr.parent = mt.parent
    left join runs r on r.parent = mt.parent
    left join dflt d on d.parent = mt.parent
   order by (mt.r).parent_schema, (mt.r).parent_name
$$;
COMMENT ON FUNCTION _tide.obs_tables(as_of timestamp with time zone) IS 'One row per managed table as of AS_OF: settings, partition counts, bounds, coverage ahead, default rows, size and growth, retention due, last maintenance, next action. Backs tide.tables. Reads the catalog, statistics and _tide.log; counts at most 10,001 rows of each default partition. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
CREATE FUNCTION _tide.parse_control_value(value text, control_type regtype, what text, every_interval interval DEFAULT NULL::interval, every_int bigint DEFAULT NULL::bigint) RETURNS TABLE(as_interval interval, as_int bigint)
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  iv     interval;
  n      bigint;
  mon    integer;
  dd     integer;
  us     bigint;
  emon   integer;
  edd    integer;
  eus    bigint;
begin
  if value is null or btrim(value) = '' then
    raise exception using errcode = '22023',
      message = format('%s must not be empty', what),
      hint = case when control_type in ('integer'::regtype, 'bigint'::regtype)
                  then 'Write a positive whole number, e.g. ''1000000''.'
                  else 'Write an interval, e.g. ''1 month'' or ''1 day''.' end;
  end if;
  if control_type in ('integer'::regtype, 'bigint'::regtype) then
    begin
      n := btrim(value)::bigint;
    exception when invalid_text_representation or numeric_value_out_of_range then
      raise exception using errcode = '22023',
        message = format('%s %L is not a whole number', what, value),
        detail = format('The control column is of type %s, so %s counts key values.', control_type, what),
        hint = 'Write a positive whole number, e.g. ''1000000''.';
    end;
    if n <= 0 then
      raise exception using errcode = '22023',
        message = format('%s %L must be positive', what, value),
        hint = 'Write a positive whole number, e.g. ''1000000''.';
    end if;
    if every_int is not null and (n < every_int or n % every_int <> 0) then
      raise exception using errcode = '22023',
        message = format('%s %L is not a multiple of the partition interval %s', what, value, every_int),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s.', every_int);
    end if;
    return query select null::interval, n;
    return;
  end if;
  begin
    iv := btrim(value)::interval;
  exception when invalid_datetime_format or datetime_field_overflow or interval_field_overflow
                  or invalid_text_representation or syntax_error then
    raise exception using errcode = '22023',
      message = format('%s %L is not an interval', what, value),
      detail = format('The control column is of type %s, so %s is a time span.', control_type, what),
      hint = 'Write an interval, e.g. ''1 month'', ''1 week'' or ''6 hours''.';
  end;
  mon := extract(year from iv)::integer * 12 + extract(month from iv)::integer;
  dd  := extract(day from iv)::integer;
  us  := ((extract(hour from iv) * 3600 + extract(minute from iv) * 60 + extract(second from iv)) * 1000000)::bigint;
  if mon < 0 or dd < 0 or us < 0 or (mon = 0 and dd = 0 and us = 0) then
    raise exception using errcode = '22023',
      message = format('%s %L must be a positive interval', what, value),
      hint = 'Write a positive interval, e.g. ''1 month''.';
  end if;
  if (mon > 0 and (dd > 0 or us > 0)) or (dd > 0 and us > 0) then
    raise exception using errcode = '22023',
      message = format('%s %L mixes units', what, value),
      detail = 'An interval is laid out on a grid of months, of days (weeks) or of hours; a mix has no grid.',
      hint = 'Use one unit, e.g. ''3 months'', ''2 weeks'', ''36 hours''.';
  end if;
  if what = 'every' then
    if mon = 0 and dd = 0 and us < 3600000000 then
      raise exception using errcode = '22023',
        message = format('every %L is shorter than 1 hour', value),
        detail = 'Partitions shorter than an hour make too many tables to plan and maintain.',
        hint = 'Use ''1 hour'' or longer.';
    end if;
    if mon > 12 or dd > 366 or us > 366::bigint * 86400000000 then
      raise exception using errcode = '22023',
        message = format('every %L is longer than 1 year', value),
        hint = 'Use ''1 year'' or shorter.';
    end if;
    if mon = 0 and dd = 0 and (86400000000 % us) <> 0 and (us % 86400000000) <> 0 then
      raise exception using errcode = '22023',
        message = format('every %L does not divide a day', value),
        detail = 'Intervals shorter than a day must fit a whole number of times into a day so partitions start at the same clock times every day.',
        hint = 'Use 1, 2, 3, 4, 6, 8 or 12 hours.';
    end if;
    if mon = 0 and dd = 0 and us >= 86400000000 then
      -- whole days written in hours: treat as days
      dd := (us / 86400000000)::integer; us := 0;
      iv := make_interval(days => dd);
    end if;
    if mon > 0 and 12 % mon <> 0 then
      raise exception using errcode = '22023',
        message = format('every %L does not divide a year', value),
        detail = 'Month-based partitions start on the same months every year.',
        hint = 'Use 1, 2, 3, 4, 6 or 12 months.';
    end if;
    if control_type = 'date'::regtype and mon = 0 and dd = 0 then
      raise exception using errcode = '22023',
        message = format('every %L is shorter than a day, but the control column is a date', value),
        hint = 'Use ''1 day'' or longer for a date column.';
    end if;
  elsif every_interval is not null then
    emon := extract(year from every_interval)::integer * 12 + extract(month from every_interval)::integer;
    edd  := extract(day from every_interval)::integer;
    eus  := ((extract(hour from every_interval) * 3600 + extract(minute from every_interval) * 60
             + extract(second from every_interval)) * 1000000)::bigint;
    if emon > 0 and (mon = 0 or mon % emon <> 0) then
      raise exception using errcode = '22023',
        message = format('%s %L is not a whole number of partitions of %s', what, value, every_interval),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s, e.g. ''%s months''.', every_interval, emon * 12);
    end if;
    if emon = 0 and (mon > 0
        or ((dd::bigint * 86400000000 + us) % (edd::bigint * 86400000000 + eus)) <> 0
        or (dd::bigint * 86400000000 + us) < (edd::bigint * 86400000000 + eus)) then
      raise exception using errcode = '22023',
        message = format('%s %L is not a whole number of partitions of %s', what, value, every_interval),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s.', every_interval);
    end if;
  end if;
  return query select iv, null::bigint;
end
$$;
COMMENT ON FUNCTION _tide.parse_control_value(value text, control_type regtype, what text, every_interval interval, every_int bigint) IS 'Parses an every/keep control value for a key type; raises 22023 with a hint when it is malformed or has no grid.';
CREATE FUNCTION _tide.partition_bounds(partition regclass) RETURNS TABLE(lower_bound text, upper_bound text, is_default boolean)
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    AS $_$
  select b.lower_bound, b.upper_bound, b.is_default
    from (select pg_get_expr(c.relpartbound, 0) as expr from pg_class c where c.oid = partition and c.relispartition) e
    cross join lateral (select case when cardinality(v.lo) = 1 then case when v.lo[1] in ('MINVALUE', 'MAXVALUE') then null else v.lo[1] end
                           else '(' || array_to_string(v.lo, ', ') || ')' end as lower_bound,
                      case when cardinality(v.hi) = 1 then case when v.hi[1] in ('MINVALUE', 'MAXVALUE') then null else v.hi[1] end
                           else '(' || array_to_string(v.hi, ', ') || ')' end as upper_bound,
                      false as is_default
                 from (select regexp_match(e.expr, $re$^FOR VALUES FROM \(((?:'(?:[^']|'')*'|[^'()])*)\) TO \(((?:'(?:[^']|'')*'|[^'()])*)\)$$re$) as m) r
                cross join lateral (
                  select array(select coalesce(replace(x[1], '''''', ''''), x[2])
                                 from regexp_matches(r.m[1], $re$'((?:[^']|'')*)'|([^,\s]+)$re$, 'g') x) as lo,
                         array(select coalesce(replace(x[1], '''''', ''''), x[2])
                                 from regexp_matches(r.m[2], $re$'((?:[^']|'')*)'|([^,\s]+)$re$, 'g') x) as hi) v
                where r.m is not null
               union all
               select null, null, true where e.expr = 'DEFAULT') b;
$_$;
COMMENT ON FUNCTION _tide.partition_bounds(partition regclass) IS 'Range bounds of one partition as text (DateStyle ISO, UTC): lower_bound, upper_bound (NULL for MINVALUE/MAXVALUE), is_default. No rows for a non-partition or a LIST/HASH partition. Takes no locks.';
CREATE FUNCTION _tide.partition_name(mt _tide.managed_tables, lower_pos bigint) RETURNS name
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  loc     timestamp;
  mon     integer;
  dd      integer;
  us      bigint;
  suffix  text;
  head    text := mt.parent_name;
begin
  if mt.every_int is not null then
    suffix := 'p' || lower_pos::text;
  else
    loc := _tide.position_local(mt, lower_pos);
    mon := extract(year from mt.every_interval)::integer * 12 + extract(month from mt.every_interval)::integer;
    dd  := extract(day from mt.every_interval)::integer;
    us  := ((extract(hour from mt.every_interval) * 3600 + extract(minute from mt.every_interval) * 60
            + extract(second from mt.every_interval)) * 1000000)::bigint;
    suffix := to_char(loc, case
      when mon = 12 then 'YYYY'
      when mon = 3 then 'YYYY"_q"Q'
      when mon > 0 then 'YYYY_MM'
      when dd > 0 and dd % 7 = 0 then 'IYYY"_w"IW'
      when dd > 0 then 'YYYY_MM_DD'
      when us % 3600000000 = 0 and extract(minute from loc) = 0 and extract(second from loc) = 0 then 'YYYY_MM_DD_HH24MI'
      else 'YYYY_MM_DD_HH24MISS' end);
  end if;
  while octet_length(head || '_' || suffix) > 63 loop
    head := left(head, length(head) - 1);
  end loop;
  return (head || '_' || suffix)::name;
end
$$;
COMMENT ON FUNCTION _tide.partition_name(mt _tide.managed_tables, lower_pos bigint) IS 'Name of the partition starting at a grid point: <parent>_<suffix>, parent part shortened to fit 63 bytes.';
CREATE FUNCTION _tide.position_bound(mt _tide.managed_tables, pos bigint) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  abs_time timestamptz;
begin
  if pos is null then
    return null;
  end if;
  if mt.control_type in ('integer'::regtype, 'bigint'::regtype) then
    return pos::text;
  end if;
  abs_time := timestamptz 'epoch' + pos * interval '1 microsecond';
  if mt.control_type = 'timestamptz'::regtype then
    return abs_time::text;
  elsif mt.control_type = 'timestamp'::regtype then
    return (abs_time at time zone 'UTC')::text;
  else
    return (abs_time at time zone 'UTC')::date::text;
  end if;
end
$$;
COMMENT ON FUNCTION _tide.position_bound(mt _tide.managed_tables, pos bigint) IS 'A position on the table''s key axis written as a literal of the key type.';
CREATE FUNCTION _tide.position_local(mt _tide.managed_tables, pos bigint) RETURNS timestamp without time zone
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
  select (timestamptz 'epoch' + pos * interval '1 microsecond')
         at time zone case when mt.control_type = 'timestamptz'::regtype then mt.time_zone else 'UTC' end;
$$;
COMMENT ON FUNCTION _tide.position_local(mt _tide.managed_tables, pos bigint) IS 'A time position as wall-clock time in the table''s time zone.';
CREATE FUNCTION _tide.prune_cron_history(as_of timestamp with time zone DEFAULT now()) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  keep    interval := coalesce((select value::interval from _tide.settings where name = 'cron_history_retention'), '7 days');
  removed bigint;
begin
  if to_regclass('cron.job_run_details') is null
     or not has_table_privilege('cron.job_run_details', 'delete')
     or not has_table_privilege('cron.job', 'select') then
    return 0;
  end if;
  execute $q$delete from cron.job_run_details d
              using cron.job j
              where j.jobid = d.jobid and j.jobname = $1 and j.database = current_database()
                and d.end_time < $2$q$
     using _tide.cron_job_name(), as_of - keep;
  get diagnostics removed = row_count;
  return removed;
end
$_$;
COMMENT ON FUNCTION _tide.prune_cron_history(as_of timestamp with time zone) IS 'Deletes cron.job_run_details rows of pgtide''s own job that ended before AS_OF minus the cron_history_retention setting (default 7 days); returns how many. 0 when pg_cron is not visible here or the role may not delete.';
CREATE FUNCTION _tide.record_catalog() RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  n integer;
begin
  delete from _tide.catalog_objects;
  insert into _tide.catalog_objects (kind, identity, definition_md5)
  select f.kind, f.identity, f.definition_md5 from _tide.catalog_fingerprint() f;
  get diagnostics n = row_count;
  return n;
end
$$;
COMMENT ON FUNCTION _tide.record_catalog() IS 'pgtide: snapshot of the installed catalog into _tide.catalog_objects (run by the installer)';
CREATE FUNCTION _tide.unconvert_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '3'
    AS $$
begin
  insert into _tide.unconvert_changes (parent, relid, op, old_row, new_row)
  values (tg_argv[0]::oid::regclass, tg_relid, tg_op,
          case when tg_op <> 'INSERT' then old::text end,
          case when tg_op <> 'DELETE' then new::text end);
  return null;
end
$$;
COMMENT ON FUNCTION _tide.unconvert_capture() IS 'AFTER row trigger tide.unconvert puts on the partitioned table (argument: its oid): records each INSERT, UPDATE and DELETE as row text in _tide.unconvert_changes. Row text is written with DateStyle ISO and TimeZone UTC pinned. Takes ROW EXCLUSIVE on _tide.unconvert_changes.';
CREATE FUNCTION _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[], max_rows bigint, OUT rows bigint, OUT next_key text[]) RETURNS record
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '3'
    AS $_$
declare
  cols     text;
  keys     text;
  keys_txt text;
  keys_par text;
  keys_desc text;
begin
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
    from pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  select string_agg(quote_ident(k), ', ' order by o),
         string_agg(format('b.%I::text', k), ', ' order by o),
         string_agg(format('$1[%s]::%s', o, format_type(a.atttypid, a.atttypmod)), ', ' order by o),
         string_agg(format('b.%I desc', k), ', ' order by o)
    into keys, keys_txt, keys_par, keys_desc
    from unnest(key) with ordinality u(k, o)
    join pg_attribute a on a.attrelid = partition and a.attname = u.k and not a.attisdropped;
  execute format(
    'with b as materialized (select * from %1$s%2$s order by %3$s%4$s), '
    'ins as (insert into %5$s (%6$s) overriding system value select %6$s from b on conflict do nothing) '
    'select (select count(*) from b), (select array[%7$s] from b order by %8$s limit 1)',
    partition,
    case when last_key is null then '' else format(' where (%s) > (%s)', keys, keys_par) end,
    keys,
    case when max_rows is null then '' else ' limit ' || max_rows end,
    target, cols, keys_txt, keys_desc)
    into rows, next_key using last_key;
  next_key := coalesce(next_key, last_key);
end
$_$;
COMMENT ON FUNCTION _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[], max_rows bigint, OUT rows bigint, OUT next_key text[]) IS 'tide.unconvert: copies up to MAX_ROWS rows of PARTITION (all when NULL) whose KEY is after LAST_KEY, in key order, into TARGET, skipping rows already there; returns the count and the last key copied (as text). Takes ACCESS SHARE on PARTITION, ROW EXCLUSIVE on TARGET.';
CREATE FUNCTION _tide.unconvert_detach_locked(parent regclass, batch_rows integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  plan     jsonb := _tide.unconvert_preflight(parent, batch_rows);  -- again, under the lock
  keep     regclass;
  idx_map  jsonb;
  cols     text;
  r        record;
  moved    bigint := 0;
  n        bigint;
begin
  if plan->>'path' <> 'detach' then
    return jsonb_build_object('done', false, 'rows_elsewhere', plan->'rows_elsewhere');
  end if;
  keep := (plan->>'keep_partition')::regclass;
  select jsonb_object_agg(i.indexrelid::text, c.relname) into idx_map
    from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid join pg_class c on c.oid = inh.inhparent
   where i.indrelid = keep;
  execute format('alter table %s detach partition %s', parent, keep);
  for r in select conname from pg_constraint where conrelid = keep and contype = 'c'
              and conname in ('tide_legacy_lower', 'tide_legacy_upper', 'tide_legacy_next', 'tide_legacy_slice') loop
    execute format('alter table %s drop constraint %I', keep, r.conname);
  end loop;
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
    from pg_attribute a where a.attrelid = parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  for r in select i.inhrelid::regclass as part from pg_inherits i where i.inhparent = parent loop
    execute format('insert into %s (%s) overriding system value select %s from %s', keep, cols, cols, r.part);
    get diagnostics n = row_count;
    moved := moved + n;
  end loop;
  return _tide.unconvert_swap_locked(parent, keep, idx_map)
         || jsonb_build_object('done', true, 'kept_partition', plan->>'keep_partition', 'rows_moved', moved);
end
$$;
COMMENT ON FUNCTION _tide.unconvert_detach_locked(parent regclass, batch_rows integer) IS 'Body of tide.unconvert''s detach path; expects ACCESS EXCLUSIVE on PARENT and its partitions already held (call _tide.unconvert_locked). Returns done = false, changing nothing, when more than BATCH_ROWS rows lie outside the largest partition.';
CREATE FUNCTION _tide.unconvert_finish_locked(parent regclass) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  u        _tide.unconverts;
  r        record;
  copied   bigint := 0;
  replayed bigint;
  cp       record;
  idx_map  jsonb;
begin
  perform _tide.unconvert_preflight(parent, 1);  -- the catalog may have changed: refuse again under the lock
  select * into u from _tide.unconverts x where x.parent = unconvert_finish_locked.parent;
  if not found then
    raise exception using errcode = '55000',
      message = format('no tide.unconvert of table %s is in progress', parent),
      hint = format('CALL tide.unconvert(%L).', parent::text);
  end if;
  -- partitions whose copy did not finish, or that appeared since the start
  for r in select i.inhrelid::regclass as part, p.last_key from pg_inherits i
             left join _tide.unconvert_progress p on p.parent = unconvert_finish_locked.parent and p.partition = i.inhrelid::regclass
            where i.inhparent = unconvert_finish_locked.parent and p.done is not true loop
    select * into cp from _tide.unconvert_copy(u.target, r.part, u.key_columns, r.last_key, null);
    copied := copied + cp.rows;
  end loop;
  replayed := _tide.unconvert_replay(parent, u.target, u.key_columns, null);
  -- pair the plain table's indexes with the parent's by definition, to give them its names
  with sig as (
    select i.indrelid, i.indexrelid, c.relname,
           concat_ws('|', am.amname, i.indisunique, i.indisprimary, i.indnkeyatts, i.indclass::text, i.indoption::text,
                     i.indcollation::text, pg_get_expr(i.indpred, i.indrelid),
                     (select string_agg(pg_get_indexdef(i.indexrelid, k, true), ',' order by k) from generate_series(1, i.indnatts) k)) as s
      from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
     where i.indrelid in (parent, u.target)),
  numbered as (select *, row_number() over (partition by indrelid, s order by relname) as rn from sig)
  select jsonb_object_agg(t.indexrelid::text, p.relname) into idx_map
    from numbered t join numbered p on p.indrelid = parent and p.s = t.s and p.rn = t.rn
   where t.indrelid = u.target;
  return _tide.unconvert_swap_locked(parent, u.target, idx_map)
         || jsonb_build_object('rows_copied_locked', copied, 'changes_replayed_locked', replayed);
end
$$;
COMMENT ON FUNCTION _tide.unconvert_finish_locked(parent regclass) IS 'Body of tide.unconvert''s final swap on the copy path; expects ACCESS EXCLUSIVE on PARENT and its partitions already held (call _tide.unconvert_finish). Copies partitions not yet copied, replays the remaining changes, swaps.';
CREATE FUNCTION _tide.unconvert_locked(parent regclass, mode text, batch_rows integer DEFAULT 1) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mt       _tide.managed_tables := _tide.load_managed_table(parent);
  attempt  integer := 0;
  t0       timestamptz;
  result   jsonb;
begin
  if mode not in ('detach', 'finish') then
    raise exception using errcode = '22023', message = format('unknown unconvert mode %L for table %s', mode, parent),
      hint = 'Use ''detach'' or ''finish''.';
  end if;
  loop
    begin
      perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint::text, true);
      t0 := clock_timestamp();
      execute format('lock table %s in access exclusive mode', parent);  -- recurses to the partitions
      result := case mode when 'detach' then _tide.unconvert_detach_locked(parent, batch_rows)
                          else _tide.unconvert_finish_locked(parent) end;
      perform set_config('lock_timeout', '0', true);
      return result || jsonb_build_object('attempts', attempt + 1,
        'lock_ms', round((extract(epoch from clock_timestamp() - t0) * 1000)::numeric, 1));
    exception when lock_not_available then
      attempt := attempt + 1;
      if attempt > mt.lock_retries then
        raise exception using errcode = '55P03',
          message = format('could not lock table %s for the unconvert swap within %s, %s times', parent, mt.lock_timeout, attempt),
          detail = 'Long transactions or queries hold locks on the table or its partitions. Nothing was swapped; copied rows are kept.',
          hint = 'CALL tide.unconvert again when the table is quieter (see pg_locks / pg_stat_activity), or raise tide.config.lock_timeout.';
      end if;
      perform pg_sleep(least(1.0, 0.02 * 2 ^ attempt) * (0.5 + random()));
    end;
  end loop;
end
$$;
COMMENT ON FUNCTION _tide.unconvert_locked(parent regclass, mode text, batch_rows integer) IS 'tide.unconvert''s swap (MODE detach: _tide.unconvert_detach_locked; finish: _tide.unconvert_finish_locked) under ACCESS EXCLUSIVE on PARENT and its partitions, lock_timeout and lock_retries from tide.config, jittered backoff; each attempt is all-or-nothing.';
CREATE FUNCTION _tide.unconvert_preflight(parent regclass, batch_rows integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mt         _tide.managed_tables := _tide.load_managed_table(parent);  -- TD001 when not managed
  rel        record;
  r          record;
  lg         _tide.legacy;
  key        name[];
  big        regclass;
  others     bigint := 0;
  n          bigint;
  resuming   boolean;
  nparts     integer;
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      hint = 'Use e.g. 10000.';
  end if;
  select c.relkind, c.relname, n.nspname, c.relrowsecurity into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  if rel.relkind is distinct from 'p' then
    raise exception using errcode = '42809',
      message = format('table %s is not partitioned', parent),
      detail = 'tide.unconvert turns a partitioned table back into one plain table.',
      hint = 'Nothing to undo; tide.unmanage() stops pgtide managing it.';
  end if;
  resuming := exists (select from _tide.unconverts u where u.parent = unconvert_preflight.parent);
  select * into lg from _tide.legacy l where l.parent = unconvert_preflight.parent;
  if found and lg.state = 'splitting' then
    raise exception using errcode = '55000',
      message = format('tide.split_legacy of table %s is in progress', parent),
      detail = 'Rows of the interval being split sit in a table that is not attached yet; copying the partitioned table would miss them.',
      hint = format('Finish it first: CALL tide.split_legacy(%L); then CALL tide.unconvert again.', parent::text);
  end if;
  for r in select d.partition from _tide.detached d
            where d.parent_oid = unconvert_preflight.parent::oid and exists (select from pg_class c where c.oid = d.partition::oid) loop
    raise exception using errcode = '55000',
      message = format('table %s has detached partition %s still kept', parent, r.partition),
      detail = 'Retention detached it; its rows are not in the partitioned table, and pgtide''s bookkeeping points at the table being undone.',
      hint = format('Drop it, or keep it as a plain table of its own: DELETE FROM _tide.detached WHERE partition = %L::regclass;', r.partition::text);
  end loop;
  for r in select a.partition_name, a.state from _tide.archives a
            where a.parent_oid = unconvert_preflight.parent::oid and a.state <> 'dropped' loop
    raise exception using errcode = '55000',
      message = format('table %s has archive %s in state %s', parent, r.partition_name, r.state),
      detail = 'An archive of one of its partitions is still pending; pgtide drops the partition only after the archive is verified.',
      hint = 'Let the archive complete (tide.archives), or release it with tide.release_archive, then CALL tide.unconvert again.';
  end loop;
  for r in select i.inhrelid::regclass as part, c.relkind from pg_inherits i join pg_class c on c.oid = i.inhrelid
            where i.inhparent = parent and c.relkind <> 'r' loop
    raise exception using errcode = '0A000',
      message = format('partition %s of table %s is %s', r.part, parent,
                       case r.relkind when 'p' then 'itself partitioned' when 'f' then 'a foreign table' else 'not a plain table' end),
      detail = 'tide.unconvert copies plain partitions only.',
      hint = 'Detach that partition first (and move its rows yourself).';
  end loop;
  for r in select con.conname, con.conrelid::regclass as referencing, con.confrelid::regclass as referenced
             from pg_constraint con
            where con.contype = 'f' and con.conparentid = 0
              and (con.confrelid = parent or con.confrelid in (select inhrelid from pg_inherits where inhparent = parent)) loop
    raise exception using errcode = '55000',
      message = format('foreign key %I of table %s references table %s', r.conname, r.referencing, parent),
      detail = 'Dropping the partitioned table would need to drop that foreign key; re-pointing it re-checks every referencing row under lock.',
      hint = format('Drop it, unconvert, then add it back with NOT VALID and VALIDATE: ALTER TABLE %s DROP CONSTRAINT %I;', r.referencing, r.conname);
  end loop;
  for r in
    select distinct rw.ev_class::regclass as dependent, rw.rulename
      from pg_depend d join pg_rewrite rw on rw.oid = d.objid
     where d.classid = 'pg_rewrite'::regclass and d.refclassid = 'pg_class'::regclass
       and (d.refobjid = parent or d.refobjid in (select inhrelid from pg_inherits where inhparent = parent))
  loop
    raise exception using errcode = '55000',
      message = format('view or rule %s depends on table %s', r.dependent, parent),
      detail = 'A view or rule is bound to the partitioned table by its identity and would have to be dropped with it.',
      hint = 'Save the definition (pg_get_viewdef / pg_get_ruledef), drop it, unconvert, and create it again.';
  end loop;
  for r in
    select distinct d.objid::regprocedure as fn
      from pg_depend d
     where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = parent
  loop
    raise exception using errcode = '55000',
      message = format('function %s depends on table %s', r.fn, parent),
      detail = 'A SQL-standard function body (BEGIN ATOMIC) is bound to the table by its identity.',
      hint = 'Drop the function, unconvert, and create it again.';
  end loop;
  for r in
    select a.attrelid::regclass as rel, a.attname
      from pg_attribute a join pg_class c on c.oid = parent
     where a.atttypid = c.reltype and not a.attisdropped and a.attrelid <> parent
  loop
    raise exception using errcode = '55000',
      message = format('column %I of %s has the row type of table %s', r.attname, r.rel, parent),
      hint = 'Change that column''s type first.';
  end loop;
  for r in select distinct pt.pubname from pg_publication_tables pt
            where (pt.schemaname, pt.tablename) in (select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
                                                     where c.oid = parent or c.oid in (select inhrelid from pg_inherits where inhparent = parent)) loop
    raise exception using errcode = '55000',
      message = format('table %s is published by publication %I', parent, r.pubname),
      detail = 'Subscribers would see the table disappear and a new one appear.',
      hint = format('ALTER PUBLICATION %I DROP TABLE %s; unconvert; then add the plain table back.', r.pubname, parent);
  end loop;
  if rel.relrowsecurity or exists (select from pg_policy where polrelid = parent) then
    raise exception using errcode = '0A000',
      message = format('table %s uses row-level security', parent),
      detail = 'tide.unconvert does not copy policies.',
      hint = 'Drop the policies and disable row-level security, unconvert, then re-create them on the plain table.';
  end if;
  -- the key used to copy in order and to replay concurrent changes: the primary key, else a
  -- unique index on NOT NULL columns without expressions or predicate
  select array(select a.attname from unnest(i.indkey) with ordinality k(attnum, ord)
                 join pg_attribute a on a.attrelid = parent and a.attnum = k.attnum
                where k.ord <= i.indnkeyatts order by k.ord)
    into key
    from pg_index i
   where i.indrelid = parent and i.indisunique and i.indexprs is null and i.indpred is null
     and not exists (select from unnest(i.indkey) k(attnum) join pg_attribute a on a.attrelid = parent and a.attnum = k.attnum
                      where not a.attnotnull)
   order by i.indisprimary desc, i.indnkeyatts, i.indexrelid
   limit 1;
  -- the cheap path: one partition holds (nearly) all rows; the others hold at most batch_rows
  select count(*) into nparts from pg_inherits where inhparent = parent;
  if not resuming and nparts > 0 then
    select i.inhrelid::regclass into big
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
     where i.inhparent = parent
     order by pg_relation_size(c.oid) desc, c.reltuples desc, c.oid
     limit 1;
    for r in select i.inhrelid::regclass as part from pg_inherits i where i.inhparent = parent and i.inhrelid <> big loop
      execute format('select count(*) from (select from %s limit %s) s', r.part, batch_rows + 1) into n;
      others := others + n;
      exit when others > batch_rows;
    end loop;
  end if;
  return jsonb_build_object(
    'parent', parent::text, 'schema', rel.nspname, 'name', rel.relname,
    'target_name', _tide.convert_short_name(rel.relname, '_unconverted'),
    'key', to_jsonb(key), 'partitions', nparts, 'resuming', resuming,
    'path', case when not resuming and big is not null and others <= batch_rows then 'detach' else 'copy' end,
    'keep_partition', big::text, 'rows_elsewhere', others,
    'rows_estimate', (select coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = parent),
    'total_bytes', (select coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) from pg_inherits i where i.inhparent = parent));
end
$$;
COMMENT ON FUNCTION _tide.unconvert_preflight(parent regclass, batch_rows integer) IS 'tide.unconvert''s checks: raises (changing nothing) when PARENT cannot be turned back into a plain table safely; returns the plan (detach path when one partition holds all but at most BATCH_ROWS rows, else copy; the key used to copy). Takes ACCESS SHARE on the partitions it peeks into.';
CREATE FUNCTION _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '3'
    AS $_$
declare
  ch      record;
  cols    text;
  sel     text;
  keys    text;
  rkeys   text;
  dels    jsonb := '{}';
  inss    jsonb := '{}';
  done    bigint[] := array[]::bigint[];
  rel     text;
begin
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum),
         string_agg(format('(s.r).%I', a.attname), ', ' order by a.attnum)
    into cols, sel
    from pg_attribute a where a.attrelid = target and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  select string_agg(format('t.%I', k), ', ' order by o), string_agg(format('(s.r).%I', k), ', ' order by o)
    into keys, rkeys from unnest(key) with ordinality u(k, o);
  for ch in select c.change_id, c.relid, c.op, c.old_row, c.new_row from _tide.unconvert_changes c
             where c.parent = unconvert_replay.parent order by c.change_id limit max_rows loop
    rel := ch.relid::text;
    if not dels ? rel then
      if not exists (select from pg_class where oid = ch.relid) then
        raise exception using errcode = '55000',
          message = format('partition %s of table %s was dropped while tide.unconvert was copying it', ch.relid, parent),
          detail = 'Rows written into it are recorded in _tide.unconvert_changes but can no longer be read back.',
          hint = 'Do not drop or detach partitions during tide.unconvert.';
      end if;
      dels := dels || jsonb_build_object(rel, format('delete from %s t using (select $1::%s as r) s where (%s) = (%s)',
                                                     target, ch.relid::regclass, keys, rkeys));
      inss := inss || jsonb_build_object(rel, format('insert into %s (%s) overriding system value select %s from (select $1::%s as r) s',
                                                     target, cols, sel, ch.relid::regclass));
    end if;
    if ch.old_row is not null then
      execute dels->>rel using ch.old_row;
    end if;
    if ch.new_row is not null then
      execute dels->>rel using ch.new_row;
      execute inss->>rel using ch.new_row;
    end if;
    done := done || ch.change_id;
  end loop;
  delete from _tide.unconvert_changes c where c.change_id = any (done);
  update _tide.unconverts u set rows_replayed = u.rows_replayed + cardinality(done) where u.parent = unconvert_replay.parent;
  return cardinality(done);
end
$_$;
COMMENT ON FUNCTION _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint) IS 'tide.unconvert: applies up to MAX_ROWS recorded changes of PARENT (oldest first, by KEY) to TARGET and removes them from the log; idempotent. Takes ROW EXCLUSIVE on TARGET.';
CREATE FUNCTION _tide.unconvert_start(parent regclass) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mt      _tide.managed_tables := _tide.load_managed_table(parent);
  u       _tide.unconverts;
  plan    jsonb;
  key     name[];
  target  regclass;
  r       record;
  n       bigint;
begin
  select * into u from _tide.unconverts x where x.parent = unconvert_start.parent;
  if found then
    return jsonb_build_object('target', u.target::text, 'resumed', true, 'rows_total', u.rows_total);
  end if;
  plan := _tide.unconvert_preflight(parent, 1);
  if jsonb_typeof(plan->'key') is distinct from 'array' then
    raise exception using errcode = '55000',
      message = format('table %s has no primary key or unique index on NOT NULL columns', parent),
      detail = 'Rows are spread over several partitions, so tide.unconvert copies them while writes continue and replays the writes by key.',
      hint = 'Add a primary key (or a unique index on NOT NULL columns, without expressions or predicate) to the table, then CALL tide.unconvert again.';
  end if;
  select array(select jsonb_array_elements_text(plan->'key')) into key;
  if to_regclass(format('%I.%I', plan->>'schema', plan->>'target_name')) is not null then
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists', plan->>'schema', plan->>'target_name'),
      detail = format('tide.unconvert copies %s into a new plain table of that name before the swap.', parent),
      hint = 'Rename or drop that relation first.';
  end if;
  execute format('create table %I.%I (like %s including all)', plan->>'schema', plan->>'target_name', parent);
  target := format('%I.%I', plan->>'schema', plan->>'target_name')::regclass;
  for r in select conname, pg_get_constraintdef(oid) as def from pg_constraint
            where conrelid = parent and contype = 'f' and conparentid = 0 loop
    execute format('alter table %s add constraint %I %s', target, r.conname, r.def);
  end loop;
  -- from here on every write through the table is recorded (SHARE ROW EXCLUSIVE, briefly, retried)
  perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint::text, true);
  begin
    perform _tide.execute_with_retry(format('create trigger tide_unconvert_capture after insert or update or delete on %s '
                                            'for each row execute function _tide.unconvert_capture(%s)', parent, parent::oid),
                                     mt.lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s to add tide.unconvert''s capture trigger within %s, %s times', parent, mt.lock_timeout, mt.lock_retries + 1),
      detail = 'Long transactions or queries hold locks on the table. Nothing was changed.',
      hint = 'CALL tide.unconvert again when the table is quieter (see pg_locks / pg_stat_activity), or raise tide.config.lock_timeout.';
  end;
  perform set_config('lock_timeout', '0', true);
  execute format('select count(*) from %s', parent) into n;
  insert into _tide.unconverts (parent, parent_oid, parent_name, target, key_columns, was_enabled, rows_total)
  values (parent, parent, parent::text, target, key, mt.enabled, n);
  insert into _tide.unconvert_progress (parent, partition)
  select unconvert_start.parent, p.partition from _tide.list_partitions(mt) p;
  -- retention and partition moves wait until the table is plain (or the unconvert is abandoned)
  update _tide.managed_tables m set enabled = false where m.parent = unconvert_start.parent;
  return jsonb_build_object('target', target::text, 'resumed', false, 'rows_total', n);
end
$$;
COMMENT ON FUNCTION _tide.unconvert_start(parent regclass) IS 'tide.unconvert copy path, step 1: creates the plain table LIKE PARENT INCLUDING ALL (plus its foreign keys), adds the capture trigger (SHARE ROW EXCLUSIVE on PARENT and its partitions, briefly, lock_timeout from tide.config, retried), records the cursors and disables maintenance of PARENT. Does nothing when an unconvert of PARENT is already in progress.';
CREATE FUNCTION _tide.unconvert_step(parent regclass, batch_rows integer) RETURNS TABLE(action text, rows bigint, rows_left bigint, done boolean)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  mt       _tide.managed_tables := _tide.load_managed_table(parent);
  u        _tide.unconverts;
  p        record;
  c        record;
  pending  bigint;
  n        bigint;
  res      jsonb;
begin
  if batch_rows is null or batch_rows < 1 then
    raise exception using errcode = '22023',
      message = format('batch_rows %s for table %s must be a positive number', coalesce(batch_rows::text, 'NULL'), parent),
      hint = 'Use e.g. 10000.';
  end if;
  select * into u from _tide.unconverts x where x.parent = unconvert_step.parent for update;
  if not found then
    raise exception using errcode = '55000',
      message = format('no tide.unconvert of table %s is in progress', parent),
      hint = format('CALL tide.unconvert(%L) starts one.', parent::text);
  end if;
  select count(*) into pending from _tide.unconvert_changes x where x.parent = unconvert_step.parent;
  -- 1. copy: oldest partition first, default last, one keyset batch
  select g.partition, g.last_key into p
    from _tide.unconvert_progress g
    left join _tide.list_partitions(mt) l on l.partition = g.partition
   where g.parent = unconvert_step.parent and not g.done
   order by l.is_default nulls last, l.lower_pos nulls last, g.partition::oid
   limit 1;
  if found then
    if not exists (select from pg_class where oid = p.partition::oid) then
      update _tide.unconvert_progress g set done = true where g.parent = unconvert_step.parent and g.partition = p.partition;
      return query select format('partition %s is gone; skipped', p.partition::oid), 0::bigint,
                          greatest(u.rows_total - u.rows_copied, 0) + pending, false;
      return;
    end if;
    select * into c from _tide.unconvert_copy(u.target, p.partition, u.key_columns, p.last_key, batch_rows);
    update _tide.unconvert_progress g set last_key = c.next_key, rows_copied = g.rows_copied + c.rows, done = c.rows < batch_rows
     where g.parent = unconvert_step.parent and g.partition = p.partition;
    update _tide.unconverts x set rows_copied = x.rows_copied + c.rows where x.parent = unconvert_step.parent;
    return query select format('copied %s rows of %s', c.rows, p.partition), c.rows,
                        greatest(u.rows_total - u.rows_copied - c.rows, 0) + pending, false;
    return;
  end if;
  -- 2. replay what was written meanwhile, until little is left for the locked step
  if pending > least(batch_rows, 1000) then
    n := _tide.unconvert_replay(parent, u.target, u.key_columns, batch_rows);
    return query select format('replayed %s changes written meanwhile', n), n, pending - n, false;
    return;
  end if;
  -- 3. the swap, writers held off for the replay of at most 1000 changes and the catalog work
  res := _tide.unconvert_locked(parent, 'finish');
  return query select format('%s is a plain table again: %s changes replayed and %s rows copied under the lock, held %s ms (attempt %s)',
                             res->>'table', res->>'changes_replayed_locked', res->>'rows_copied_locked', res->>'lock_ms', res->>'attempts'),
                      (res->>'changes_replayed_locked')::bigint + (res->>'rows_copied_locked')::bigint, 0::bigint, true;
end
$$;
COMMENT ON FUNCTION _tide.unconvert_step(parent regclass, batch_rows integer) IS 'One step of tide.unconvert''s copy path (a batch of BATCH_ROWS rows copied, or changes replayed, or the final swap); resumable from _tide.unconverts. Takes ACCESS SHARE on one partition per batch; ACCESS EXCLUSIVE on PARENT and its partitions for the final swap only (lock_timeout from tide.config, retried).';
CREATE FUNCTION _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  src       record;
  tgt       record;
  r         record;
  nsp       name;
  relname   name;
  triggers  text[] := array[]::text[];
  states    text[] := array[]::text[];
  stmt      text;
  ri_index  text;
  renamed   integer := 0;
  seqs      jsonb := '{}';
begin
  select c.relowner::regrole as owner, c.relacl, obj_description(c.oid, 'pg_class') as comment,
         c.relreplident, n.nspname, c.relname
    into src from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  nsp := src.nspname; relname := src.relname;
  -- constraints tide.convert / split_legacy left on a legacy table would limit future rows
  for r in select conname from pg_constraint where conrelid = target and contype = 'c'
              and conname in ('tide_legacy_lower', 'tide_legacy_upper', 'tide_legacy_next', 'tide_legacy_slice') loop
    execute format('alter table %s drop constraint %I', target, r.conname);
  end loop;
  -- owner, then privileges exactly as the parent's (table and column level)
  if src.owner::oid <> (select relowner from pg_class where oid = target) then
    execute format('alter table %s owner to %I', target, src.owner);
  end if;
  select c.relowner, c.relacl into tgt from pg_class c where c.oid = target;
  for r in select distinct (aclexplode(tgt.relacl)).grantee loop
    continue when r.grantee = tgt.relowner;
    execute format('revoke all on table %s from %s', target, case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end);
  end loop;
  for r in select a.attname, x.grantee from pg_attribute a cross join lateral (select distinct (aclexplode(a.attacl)).grantee) x
            where a.attrelid = target and a.attacl is not null and not a.attisdropped loop
    execute format('revoke all (%I) on table %s from %s', r.attname, target, case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end);
  end loop;
  for r in select (aclexplode(src.relacl)).* loop
    continue when r.grantee = src.owner::oid;
    execute format('grant %s on table %s to %s%s', r.privilege_type, target,
                   case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
                   case when r.is_grantable then ' with grant option' else '' end);
  end loop;
  for r in select a.attname, (aclexplode(a.attacl)).* from pg_attribute a
            where a.attrelid = parent and a.attacl is not null and not a.attisdropped loop
    execute format('grant %s (%I) on table %s to %s%s', r.privilege_type, r.attname, target,
                   case when r.grantee = 0 then 'public' else quote_ident(r.grantee::regrole::text) end,
                   case when r.is_grantable then ' with grant option' else '' end);
  end loop;
  -- comments, defaults and statistics targets, column by column (matched by name)
  execute format('comment on table %s is %L', target, src.comment);
  for r in select p.attname, col_description(parent, p.attnum) as pcomment, col_description(target, t.attnum) as tcomment,
                  pg_get_expr(pd.adbin, pd.adrelid) as pdef, pg_get_expr(td.adbin, td.adrelid) as tdef,
                  p.attidentity as pident, t.attidentity as tident, p.attgenerated, p.attstattarget as pstat, t.attstattarget as tstat
             from pg_attribute p
             join pg_attribute t on t.attrelid = target and t.attname = p.attname and not t.attisdropped
             left join pg_attrdef pd on pd.adrelid = parent and pd.adnum = p.attnum
             left join pg_attrdef td on td.adrelid = target and td.adnum = t.attnum
            where p.attrelid = parent and p.attnum > 0 and not p.attisdropped loop
    if r.pcomment is distinct from r.tcomment then
      execute format('comment on column %s.%I is %L', target, r.attname, r.pcomment);
    end if;
    if r.attgenerated = '' and r.pident = '' and r.pdef is distinct from r.tdef then
      if r.tident <> '' then
        execute format('alter table %s alter column %I drop identity', target, r.attname);
      end if;
      execute format('alter table %s alter column %I %s', target, r.attname,
                     case when r.pdef is null then 'drop default' else 'set default ' || r.pdef end);
    end if;
    if r.pident <> '' then
      if r.tdef is not null then
        execute format('alter table %s alter column %I drop default', target, r.attname);
      end if;
      if r.tident = '' then
        execute format('alter table %s alter column %I add generated %s as identity', target, r.attname,
                       case r.pident when 'a' then 'always' else 'by default' end);
      end if;
      -- the parent's sequence is dropped with it: carry its position (and later its name) over
      seqs := seqs || jsonb_build_object(pg_get_serial_sequence(target::text, r.attname),
                                         (select c.relname from pg_class c where c.oid = pg_get_serial_sequence(parent::text, r.attname)::regclass));
      execute format('select setval(%L, last_value, is_called) from %s',
                     pg_get_serial_sequence(target::text, r.attname), pg_get_serial_sequence(parent::text, r.attname));
    end if;
    if r.pstat is distinct from r.tstat then
      execute format('alter table %s alter column %I set statistics %s', target, r.attname, r.pstat);
    end if;
  end loop;
  -- sequences owned by the parent's columns (serial) would be dropped with it: hand them over
  for r in select d.objid::regclass as seq, a.attname
             from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
            where d.classid = 'pg_class'::regclass and d.refobjid = parent and d.deptype = 'a'
              and (select relkind from pg_class where oid = d.objid) = 'S' loop
    execute format('alter sequence %s owned by %s.%I', r.seq, target, r.attname);
  end loop;
  -- triggers are recreated from their definitions, which name the table: capture them now,
  -- run them once the plain table has the name
  for r in select t.oid, t.tgname, t.tgenabled from pg_trigger t
            where t.tgrelid = parent and not t.tgisinternal and t.tgname <> 'tide_unconvert_capture' loop
    triggers := triggers || pg_get_triggerdef(r.oid);
    if r.tgenabled <> 'O' then
      states := states || format('alter table %I.%I %s trigger %I', nsp, relname,
        case r.tgenabled when 'D' then 'disable' when 'A' then 'enable always' when 'R' then 'enable replica' end, r.tgname);
    end if;
  end loop;
  if src.relreplident = 'i' then
    select c.relname into ri_index from pg_index i join pg_class c on c.oid = i.indexrelid
     where i.indrelid = parent and i.indisreplident;
  end if;
  -- the swap: the partitioned table (and its remaining, drained partitions) goes, the plain
  -- table takes its name and its indexes take the parent's index names
  delete from _tide.unconvert_changes c where c.parent = unconvert_swap_locked.parent;
  delete from _tide.unconverts u where u.parent = unconvert_swap_locked.parent;
  delete from _tide.legacy l where l.parent = unconvert_swap_locked.parent;
  delete from _tide.managed_tables m where m.parent = unconvert_swap_locked.parent;
  execute format('drop table %s', parent);
  execute format('alter table %s rename to %I', target, relname);
  for r in select key::oid::regclass as idx, value as name from jsonb_each_text(coalesce(idx_map, '{}')) loop
    continue when (select c.relname from pg_class c where c.oid = r.idx) = r.name;
    execute format('alter index %s rename to %I', r.idx, r.name);
    renamed := renamed + 1;
  end loop;
  for r in select key::regclass as seq, value as name from jsonb_each_text(seqs) loop
    continue when (select c.relname from pg_class c where c.oid = r.seq) = r.name
               or exists (select from pg_class c where c.relname = r.name and c.relnamespace = (select relnamespace from pg_class where oid = r.seq));
    execute format('alter sequence %s rename to %I', r.seq, r.name);
  end loop;
  foreach stmt in array triggers loop execute stmt; end loop;
  foreach stmt in array states loop execute stmt; end loop;
  if src.relreplident = 'f' then
    execute format('alter table %s replica identity full', target);
  elsif src.relreplident = 'n' then
    execute format('alter table %s replica identity nothing', target);
  elsif ri_index is not null then
    execute format('alter table %s replica identity using index %I', target, ri_index);
  end if;
  perform _tide.log_action(null, target, 'unconvert', null, 'ok');
  return jsonb_build_object('table', target::text, 'indexes_renamed', renamed, 'triggers', cardinality(triggers));
end
$$;
COMMENT ON FUNCTION _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb) IS 'Body of the tide.unconvert swap; expects ACCESS EXCLUSIVE on PARENT already held. Gives TARGET the parent''s owner, grants, comments, defaults, identity position, sequences, triggers and replica identity, drops PARENT, renames TARGET (and its indexes, per IDX_MAP oid -> name) to the parent''s names and unmanages it. Reads no table data.';
CREATE FUNCTION tide.archive_checksum(tbl regclass, control name DEFAULT NULL::name) RETURNS TABLE(rows bigint, checksum text, min_control text, max_control text, min_value text, max_value text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    SET "TimeZone" TO 'UTC'
    SET "IntervalStyle" TO 'postgres'
    SET extra_float_digits TO '3'
    SET bytea_output TO 'hex'
    AS $_$
declare
  select_list text;
  control_canon text;
  sql text;
begin
  if not exists (select from pg_catalog.pg_class c where c.oid = tbl and c.relkind in ('r', 'p')) then
    raise exception using errcode = 'wrong_object_type',
      message = format('pgtide: %s is not a table', tbl),
      detail = 'An archive checksum is computed over the rows of an ordinary or partitioned table.',
      hint = 'Pass the partition (or restored table) itself.';
  end if;
  if control is not null and not exists (
       select from pg_catalog.pg_attribute a where a.attrelid = tbl and a.attname = control and a.attnum > 0 and not a.attisdropped) then
    raise exception using errcode = 'undefined_column',
      message = format('pgtide: column %I does not exist in %s', control, tbl),
      detail = 'The control column is the one whose min and max the archive manifest records.',
      hint = 'Pass the partition key column, or NULL to skip min/max.';
  end if;
  select string_agg(format('%s as c%s', ac.canonical, ac.ordinal), ', ' order by ac.ordinal),
         max(ac.canonical) filter (where ac.column_name = control)
    into select_list, control_canon
  from _tide.archive_columns(tbl) ac;
  if select_list is null then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: %s has no columns to archive', tbl),
      detail = 'A table without columns cannot be checksummed.',
      hint = 'Drop it by hand if it is not needed.';
  end if;
  -- h = the row hashes (bigint); their sum is accumulated exactly and reduced modulo 2^64.
  sql := format($q$
    with h as (
      select %1$s as h%3$s
      from (select %2$s%4$s from %5$s) s
    ), sums as (
      select count(*) as n,
             ((coalesce(sum(h), 0) %% 18446744073709551616) + 18446744073709551616) %% 18446744073709551616 as m
             %6$s
      from h
    )
    select n,
           lpad(to_hex(floor(m / 4294967296)::bigint), 8, '0') || lpad(to_hex((m %% 4294967296)::bigint), 8, '0'),
           %7$s
    from sums$q$,
    _tide.archive_row_hash_sql(tbl),
    select_list,
    case when control is null then '' else ', ctl' end,
    case when control is null then '' else format(', %I as ctl', control) end,
    tbl,
    case when control is null then '' else ', min(ctl) as mn, max(ctl) as mx' end,
    case when control is null then 'null::text, null::text, null::text, null::text'
         else format('(select %1$s from (select mn as %2$I) v), (select %1$s from (select mx as %2$I) v), mn::text, mx::text',
                     control_canon, control) end);
  return query execute sql;
end
$_$;
COMMENT ON FUNCTION tide.archive_checksum(tbl regclass, control name) IS 'pgtide: rows, content checksum and min/max of CONTROL of a table, exactly as archive manifests record them; reads the whole table (ACCESS SHARE)';
CREATE FUNCTION tide.claim_archive(worker text DEFAULT NULL::text, only_archive bigint DEFAULT NULL::bigint, skip bigint[] DEFAULT NULL::bigint[]) RETURNS TABLE(archive_id bigint, previous_state text, attempts integer, partition regclass, partition_name text, partition_schema name, partition_table name, parent text, parent_schema name, parent_table name, control name, lower_bound text, upper_bound text, archive_target text, target_uri text, file_sha256 text, columns jsonb, select_sql text)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  r _tide.archives;
  max_attempts integer := coalesce((select s.value::integer from _tide.settings s where s.name = 'archive_max_attempts'), 5);
begin
  for r in
    select a.* from _tide.archives a
    where (a.state in ('pending', 'exporting', 'exported', 'verified') or (a.state = 'failed' and a.attempts < max_attempts))
      and (only_archive is null or a.archive_id = only_archive)
      and (skip is null or a.archive_id <> all (skip))
    order by a.queued_at, a.archive_id
    for update skip locked
  loop
    if not exists (select from pg_catalog.pg_class c where c.oid = r."partition") then
      update _tide.archives a set state = 'failed', updated_at = now(),
             error = format('partition %s no longer exists and was never verified as archived', r.partition_name)
      where a.archive_id = r.archive_id;
      continue;
    end if;
    if not pg_catalog.pg_try_advisory_lock(_tide.lock_key('archive', r.archive_id::oid)) then
      continue;  -- a live exporter holds it
    end if;
    update _tide.archives a
       set state = case when r.state in ('exported', 'verified') then r.state else 'exporting' end,
           attempts = a.attempts + 1, worker = claim_archive.worker, claimed_at = now(), updated_at = now()
     where a.archive_id = r.archive_id;
    return query
      select r.archive_id, r.state, r.attempts + 1, r."partition", r.partition_name, r.partition_schema, r.partition_table,
             r.parent, r.parent_schema, r.parent_table, r.control, r.lower_bound, r.upper_bound,
             (select m.archive_target from _tide.managed_tables m where m.parent::oid = r.parent_oid),
             r.target_uri, r.file_sha256,
             (select jsonb_agg(jsonb_build_object('name', c.column_name, 'type', c.type_name, 'kind', c.kind) order by c.ordinal)
                from _tide.archive_columns(r."partition") c),
             (select format('select %s from %s', string_agg(c.canonical, ', ' order by c.ordinal), r."partition")
                from _tide.archive_columns(r."partition") c);
    return;
  end loop;
end
$$;
COMMENT ON FUNCTION tide.claim_archive(worker text, only_archive bigint, skip bigint[]) IS 'pgtide: claim the next archive job (or ONLY_ARCHIVE; none in SKIP) for an exporter: row lock SKIP LOCKED plus a session advisory lock held until tide.release_archive or disconnect';
CREATE FUNCTION tide.complete_archive(archive_id bigint, manifest jsonb, drop_partition boolean DEFAULT true) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '5s'
    AS $_$
#variable_conflict use_variable
declare
  r _tide.archives;
  db record;
  m_rows bigint;
  m_sum text;
  m_sha text;
begin
  select * into r from _tide.archives a where a.archive_id = complete_archive.archive_id for update;
  if not found then
    raise exception using errcode = 'no_data_found',
      message = format('pgtide: archive job %s does not exist', archive_id),
      detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
  end if;
  if r.state not in ('exporting', 'exported', 'verified') then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s for %s is %s', archive_id, r.partition_name, r.state),
      detail = 'Only a job that is being exported, exported or verified can be completed.',
      hint = case when r.state = 'dropped' then 'It is already complete.' else 'Run the exporter (pgtide archive).' end;
  end if;
  if jsonb_typeof(manifest) is distinct from 'object'
     or jsonb_typeof(manifest -> 'rows') is distinct from 'number'
     or coalesce(manifest ->> 'content_checksum', '') !~ '^[0-9a-f]{16}$'
     or coalesce(manifest ->> 'file_sha256', '') !~ '^[0-9a-f]{64}$'
     or (manifest ? 'archive_id' and (manifest ->> 'archive_id')::bigint <> archive_id) then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: the manifest given for archive job %s (%s) is not a valid archive manifest', archive_id, r.partition_name),
      detail = 'A manifest needs rows (number), content_checksum (16 hex digits), file_sha256 (64 hex digits) and, if present, the same archive_id.',
      hint = 'Pass the manifest the exporter wrote next to the Parquet file.';
  end if;
  m_rows := (manifest ->> 'rows')::bigint;
  m_sum := manifest ->> 'content_checksum';
  m_sha := manifest ->> 'file_sha256';
  if r.file_sha256 is not null and r.file_sha256 <> m_sha then
    raise exception using errcode = 'TD010',
      message = format('pgtide: archive of %s does not match the exported object', r.partition_name),
      detail = format('The exporter recorded sha256 %s, the manifest says %s.', r.file_sha256, m_sha),
      hint = 'Re-run the exporter; the partition was kept.';
  end if;
  -- Nobody may write between the checksum and the drop.
  execute format('lock table %s in access exclusive mode', r."partition");
  select * into db from tide.archive_checksum(r."partition", r.control);
  if db.rows <> m_rows or db.checksum <> m_sum
     or (manifest ? 'min_control' and (manifest ->> 'min_control') is distinct from db.min_control)
     or (manifest ? 'max_control' and (manifest ->> 'max_control') is distinct from db.max_control) then
    raise exception using errcode = 'TD010',
      message = format('pgtide: archive of %s does not match the table', r.partition_name),
      detail = format('table: %s rows, checksum %s, control %s..%s; manifest: %s rows, checksum %s, control %s..%s',
                      db.rows, db.checksum, db.min_control, db.max_control, m_rows, m_sum,
                      manifest ->> 'min_control', manifest ->> 'max_control'),
      hint = 'The partition was kept. Re-run the exporter (pgtide archive) to write a fresh archive.';
  end if;
  update _tide.archives a
     set state = 'verified', verified_at = now(), updated_at = now(), rows = db.rows,
         content_checksum = db.checksum, min_control = db.min_control, max_control = db.max_control,
         file_sha256 = m_sha, file_bytes = coalesce((manifest ->> 'file_bytes')::bigint, a.file_bytes),
         target_uri = coalesce(manifest ->> 'uri', a.target_uri), manifest = complete_archive.manifest, error = null
   where a.archive_id = r.archive_id;
  if not drop_partition then
    return 'verified';
  end if;
  execute format('drop table %s', r."partition");
  delete from _tide.detached d where d."partition" = r."partition";
  update _tide.archives a set state = 'dropped', dropped_at = now(), updated_at = now(), "partition" = null
   where a.archive_id = r.archive_id;
  insert into _tide.log (parent_oid, parent, action, "partition", rows, outcome, message)
  values (r.parent_oid, r.parent, 'archive_drop', r.partition_name, db.rows, 'ok',
          format('archived to %s (sha256 %s) and dropped', coalesce(manifest ->> 'uri', r.target_uri), m_sha));
  return 'dropped';
end
$_$;
COMMENT ON FUNCTION tide.complete_archive(archive_id bigint, manifest jsonb, drop_partition boolean) IS 'pgtide: verify archive job ARCHIVE_ID against MANIFEST (rows, content checksum, min/max recomputed from the table under ACCESS EXCLUSIVE) and only then drop the partition; raises TD010 and keeps it on mismatch';
CREATE PROCEDURE tide.convert(IN source regclass, IN control name, IN every text, IN premake integer DEFAULT 4, IN keep text DEFAULT NULL::text, IN on_expire text DEFAULT 'drop'::text, IN time_zone text DEFAULT 'UTC'::text, IN default_partition boolean DEFAULT true, IN dry_run boolean DEFAULT false)
    LANGUAGE plpgsql
    AS $$
declare
  plan    jsonb;
  result  jsonb;
  step    text;
  t0      timestamptz := clock_timestamp();
begin
  plan := _tide.convert_preflight(source, control, every, premake, keep, on_expire, time_zone,
                                  default_partition, pg_catalog.now(), true);
  raise notice 'pgtide: convert % — about % rows, % (% with indexes); control % from % to %',
    source, plan->>'rows_estimate', pg_catalog.pg_size_pretty((plan->>'table_bytes')::bigint),
    pg_catalog.pg_size_pretty((plan->>'total_bytes')::bigint), control,
    coalesce(plan->>'min', '(no rows)'), coalesce(plan->>'max', '(no rows)');
  for step in select pg_catalog.jsonb_array_elements_text(plan->'steps') loop
    raise notice 'pgtide: plan: %', step;
  end loop;
  if dry_run then
    raise notice 'pgtide: dry run — nothing changed';
    return;
  end if;
  perform _tide.convert_add_checks(source, control, (plan->>'control_type')::regtype,
                                   plan->>'lower_bound', plan->>'upper_bound');
  commit;
  raise notice 'pgtide: CHECK added NOT VALID; validating (writes continue)';
  perform _tide.convert_validate(source);
  commit;
  raise notice 'pgtide: CHECK validated in %; swapping', pg_catalog.clock_timestamp() - t0;
  result := _tide.convert_swap(plan);
  commit;
  raise notice 'pgtide: % is partitioned: legacy partition % [%, %), swap held its lock % ms (attempt %), % partitions created; total %',
    result->>'parent', result->>'legacy', result->>'lower_bound', result->>'upper_bound',
    result->>'swap_ms', result->>'attempts', pg_catalog.jsonb_array_length(result->'partitions_created'),
    pg_catalog.clock_timestamp() - t0;
end
$$;
COMMENT ON PROCEDURE tide.convert(IN source regclass, IN control name, IN every text, IN premake integer, IN keep text, IN on_expire text, IN time_zone text, IN default_partition boolean, IN dry_run boolean) IS 'Turns plain table SOURCE into a range-partitioned table managed by pgtide without rewriting it: refuses (changing nothing) what cannot be converted, adds a CHECK on [min, max] rounded to interval edges NOT VALID, VALIDATEs it (writes continue), then in one short transaction (ACCESS EXCLUSIVE for milliseconds, lock_timeout 100 ms, retried) renames SOURCE to <name>_legacy, creates the partitioned table in its place with its shape, attaches the old table as the legacy partition and adopts its indexes, creates future partitions and registers it. Commits between steps, so CALL it outside a transaction block. dry_run => true prints the plan only.';
CREATE FUNCTION tide.create_partitions(parent regclass, through text) RETURNS TABLE(partition regclass, lower_bound text, upper_bound text, rows_moved bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  mt        _tide.managed_tables := _tide.load_managed_table(parent);
  thru      bigint;
  from_pos  bigint;
  to_pos    bigint;
  min_lo    bigint;
  slot      record;
  n         integer := 0;
  old_lt    text := current_setting('lock_timeout');
begin
  begin
    if mt.every_int is not null then
      thru := btrim(through)::bigint;
    else
      thru := _tide.local_position(mt, btrim(through)::timestamp);
    end if;
  exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
    raise exception using errcode = '22023',
      message = format('through %L for %s is not a value of type %s', through, parent, mt.control_type),
      detail = case when mt.every_int is null then 'through is a wall-clock time in the table''s time zone.' end,
      hint = case when mt.every_int is null then 'Write e.g. ''2026-01-01''.' else 'Write a whole number.' end;
  end;
  if thru is null then
    raise exception using errcode = '22023', message = format('through for %s must not be NULL', parent), hint = 'Pass a key value.';
  end if;
  from_pos := _tide.grid_floor(mt, thru);
  to_pos := _tide.grid_next(mt, from_pos);
  select min(coalesce(l.lower_pos, l.upper_pos)) into min_lo from _tide.list_partitions(mt) l where not l.is_default;
  from_pos := least(from_pos, min_lo);
  to_pos := greatest(to_pos, min_lo);
  -- refuse absurd requests before creating anything (partitions that already exist do not count)
  select count(*) into n from _tide.missing_slots(mt, from_pos, to_pos);
  if n > 1000 then
    raise exception using errcode = '22023',
      message = format('through %L for %s would create %s partitions, more than 1000', through, parent, n),
      hint = 'Create partitions in smaller steps, or choose a larger interval.';
  end if;
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    raise exception using errcode = '55P03',
      message = format('table %s is being maintained by another session', parent),
      hint = 'Try again when that maintenance has finished.';
  end if;
  perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint || 'ms', true);
  for slot in select s.lower_pos, s.upper_pos from _tide.missing_slots(mt, from_pos, to_pos) s loop
    return query select * from _tide.create_partition(mt, slot.lower_pos, slot.upper_pos);
  end loop;
  perform set_config('lock_timeout', old_lt, true);
end
$$;
COMMENT ON FUNCTION tide.create_partitions(parent regclass, through text) IS 'Creates the missing partitions of a managed table through a key value (back-filling older ones contiguously); returns one row per partition. Locks: SHARE UPDATE EXCLUSIVE on the parent per ATTACH under lock_timeout.';
CREATE PROCEDURE tide.drain_default(IN parent regclass, IN batch_rows integer DEFAULT 10000)
    LANGUAGE plpgsql
    AS $$
declare
  moved bigint;
  total bigint := 0;
begin
  loop
    moved := _tide.drain_default_step(parent, batch_rows);
    commit;
    total := total + moved;
    exit when moved = 0;
  end loop;
  raise notice 'pgtide: % rows moved out of the default partition of %', total, parent;
end
$$;
COMMENT ON PROCEDURE tide.drain_default(IN parent regclass, IN batch_rows integer) IS 'Moves rows that landed in the default partition into proper partitions (creating them), committing after about batch_rows rows; rows of one range move together. Locks: EXCLUSIVE on the default while moving, SHARE UPDATE EXCLUSIVE on the parent per ATTACH, each under lock_timeout.';
CREATE FUNCTION tide.fail_archive(archive_id bigint, error text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  update _tide.archives a
     set state = 'failed', error = fail_archive.error, updated_at = now()
   where a.archive_id = fail_archive.archive_id and a.state <> 'dropped';
  if not found then
    if not exists (select from _tide.archives a where a.archive_id = fail_archive.archive_id) then
      raise exception using errcode = 'no_data_found',
        message = format('pgtide: archive job %s does not exist', archive_id),
        detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
    end if;
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s is already dropped', archive_id),
      detail = 'Its partition was dropped after a verified archive; it cannot fail any more.', hint = 'Nothing to do.';
  end if;
end
$$;
COMMENT ON FUNCTION tide.fail_archive(archive_id bigint, error text) IS 'pgtide: mark archive job ARCHIVE_ID failed with ERROR; its partition is kept and the job retried by later claims';
CREATE FUNCTION tide.manage(parent regclass, control name, every text, premake integer DEFAULT 4, keep text DEFAULT NULL::text, on_expire text DEFAULT 'drop'::text, start_at text DEFAULT NULL::text, time_zone text DEFAULT 'UTC'::text, default_partition boolean DEFAULT true) RETURNS TABLE(partition regclass, lower_bound text, upper_bound text, is_default boolean, rows_moved bigint)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "DateStyle" TO 'ISO, YMD'
    AS $$
declare
  rel       record;
  key       record;
  mt        _tide.managed_tables;
  parsed    record;
  p         record;
  los       bigint[];
  his       bigint[];
  start_pos bigint;
  now_pos   bigint;
  from_pos  bigint;
  thru_pos  bigint;
  old_lt    text := current_setting('lock_timeout');
  i         integer;
begin
  select c.relkind, c.relname, n.nspname into rel
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = parent;
  if rel.relkind = 'r' then
    raise exception using errcode = '42809',
      message = format('table %s is not partitioned', parent),
      detail = 'tide.manage() takes a table that is already PARTITION BY RANGE.',
      hint = 'Use tide.convert() to turn a plain table with data into a partitioned one.';
  elsif rel.relkind is distinct from 'p' then
    raise exception using errcode = '42809',
      message = format('%s is not a table', parent),
      hint = 'Pass a range-partitioned table.';
  end if;
  select pt.partstrat, pt.partnatts, pt.partattrs[0] as attnum into key from pg_partitioned_table pt where pt.partrelid = parent;
  if key.partstrat <> 'r' then
    raise exception using errcode = '42809',
      message = format('table %s is partitioned by %s, not by RANGE', parent, case key.partstrat when 'l' then 'LIST' else 'HASH' end),
      hint = 'pgtide manages range-partitioned tables only.';
  end if;
  if key.partnatts <> 1 then
    raise exception using errcode = '0A000',
      message = format('table %s has a partition key of %s columns', parent, key.partnatts),
      hint = 'pgtide manages tables partitioned by RANGE on one column.';
  end if;
  if key.attnum = 0 then
    raise exception using errcode = '0A000',
      message = format('table %s is partitioned by an expression', parent),
      detail = format('Its partition key is %s.', pg_get_partkeydef(parent)),
      hint = 'pgtide manages tables partitioned by RANGE on a plain column.';
  end if;
  if control is null or not exists (select from pg_attribute a where a.attrelid = parent and a.attname = control and a.attnum > 0 and not a.attisdropped) then
    raise exception using errcode = '42703',
      message = format('column %I of table %s does not exist', control, parent),
      hint = format('The partition key column of %s is %I.', parent,
                    (select a.attname from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum));
  end if;
  if (select a.attnum from pg_attribute a where a.attrelid = parent and a.attname = control) <> key.attnum then
    raise exception using errcode = '22023',
      message = format('column %I is not the partition key of %s', control, parent),
      hint = format('Pass the partition key column %I.', (select a.attname from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum));
  end if;
  mt.control_type := (select a.atttypid::regtype from pg_attribute a where a.attrelid = parent and a.attnum = key.attnum);
  if mt.control_type not in ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype, 'integer'::regtype, 'bigint'::regtype) then
    raise exception using errcode = '0A000',
      message = format('column %I of %s has type %s, which pgtide does not partition', control, parent, mt.control_type),
      hint = 'Supported key types: timestamptz, timestamp, date, integer, bigint.';
  end if;
  if exists (select from _tide.managed_tables m where m.parent = manage.parent) then
    raise exception using errcode = '42710',
      message = format('table %s is already managed by pgtide', parent),
      hint = 'Change its settings with UPDATE tide.config, or call tide.unmanage() first.';
  end if;
  if time_zone is null then
    raise exception using errcode = '22023', message = format('time_zone for %s must not be NULL', parent), hint = 'Use ''UTC'' or a zone name such as ''Europe/London''.';
  end if;
  begin
    perform now() at time zone manage.time_zone;
  exception when invalid_parameter_value then
    raise exception using errcode = '22023',
      message = format('time zone %L for %s is not recognized', time_zone, parent),
      hint = 'Use a name from pg_timezone_names, e.g. ''UTC'' or ''America/New_York''.';
  end;
  if on_expire is null or on_expire not in ('drop', 'detach', 'archive') then
    raise exception using errcode = '22023',
      message = format('on_expire %L for %s is not known', on_expire, parent),
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if premake is null or premake not between 1 and 1000 then
    raise exception using errcode = '22023',
      message = format('premake %s for %s is out of range', coalesce(premake::text, 'NULL'), parent),
      hint = 'Use a value between 1 and 1000.';
  end if;
  if default_partition is null then
    raise exception using errcode = '22023', message = format('default_partition for %s must not be NULL', parent), hint = 'Use true or false.';
  end if;
  select * into parsed from _tide.parse_control_value(every, mt.control_type, 'every');
  mt.parent := parent; mt.parent_schema := rel.nspname; mt.parent_name := rel.relname; mt.control := control;
  mt.every := btrim(every); mt.every_interval := parsed.as_interval; mt.every_int := parsed.as_int;
  mt.premake := premake; mt.keep := keep; mt.on_expire := on_expire; mt.time_zone := time_zone;
  mt.default_partition := default_partition; mt.enabled := true;
  mt.lock_timeout := '100 milliseconds'; mt.lock_retries := 5;
  if keep is not null then
    select * into parsed from _tide.parse_control_value(keep, mt.control_type, 'keep', mt.every_interval, mt.every_int);
    mt.keep_interval := parsed.as_interval; mt.keep_int := parsed.as_int;
  end if;
  if start_at is not null then
    begin
      if mt.every_int is not null then
        start_pos := btrim(start_at)::bigint;
      else
        start_pos := _tide.local_position(mt, btrim(start_at)::timestamp);
      end if;
    exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
      raise exception using errcode = '22023',
        message = format('start_at %L for %s is not a value of type %s', start_at, parent, mt.control_type),
        detail = case when mt.every_int is null then 'start_at is a wall-clock time in the table''s time zone.' end,
        hint = case when mt.every_int is null then 'Write e.g. ''2025-08-01''.' else 'Write a whole number.' end;
    end;
  end if;
  -- adoption: every existing partition must sit on the grid (it may span several cells)
  for p in select l.* from _tide.list_partitions(mt) l where not l.is_default loop
    if p.upper_pos is null then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s extends to MAXVALUE', p.partition, parent),
        detail = 'No partition can be created after a partition that has no upper bound.',
        hint = 'Detach that partition or give it an upper bound on the grid.';
    end if;
    if not _tide.is_grid_point(mt, p.lower_pos) or not _tide.is_grid_point(mt, p.upper_pos) then
      raise exception using errcode = 'TD002',
        message = format('partition %s of %s is not on the %s grid', p.partition, parent, mt.every),
        detail = format('Its range is [%s, %s); pgtide''s edges for every => %L%s are where such ranges start and end.',
                        coalesce(p.lower_bound, 'MINVALUE'), p.upper_bound, mt.every,
                        case when mt.every_int is null then format(' in time zone %s', mt.time_zone) else '' end),
        hint = 'Choose the interval and time_zone the existing partitions were made with, or re-create the odd partition.';
    end if;
  end loop;
  -- the partitions to create, counted before anything changes (Rule 5)
  now_pos := _tide.current_position(mt, now());
  start_pos := coalesce(start_pos, now_pos);
  from_pos := _tide.grid_floor(mt, start_pos);
  thru_pos := _tide.grid_floor(mt, greatest(start_pos, now_pos));
  for i in 0 .. mt.premake loop
    thru_pos := _tide.grid_next(mt, thru_pos);
  end loop;
  select least(from_pos, min(coalesce(l.lower_pos, l.upper_pos))) into from_pos from _tide.list_partitions(mt) l where not l.is_default;
  select array_agg(s.lower_pos order by s.lower_pos), array_agg(s.upper_pos order by s.lower_pos) into los, his
    from _tide.missing_slots(mt, from_pos, thru_pos) s;
  if cardinality(los) > 1000 then
    raise exception using errcode = '22023',
      message = format('tide.manage(%s) would create %s partitions, more than 1000', parent, cardinality(los)),
      detail = format('From %s to %s ahead of now with every => %L.', _tide.position_bound(mt, from_pos), _tide.position_bound(mt, thru_pos), mt.every),
      hint = 'Choose a later start_at, a larger interval or a smaller premake; tide.create_partitions() can back-fill older ranges in steps.';
  end if;
  perform set_config('lock_timeout', (extract(epoch from mt.lock_timeout) * 1000)::bigint || 'ms', true);
  insert into _tide.managed_tables (parent, parent_schema, parent_name, control, control_type, every, every_interval, every_int,
                                    premake, keep, on_expire, time_zone, default_partition)
  values (mt.parent, mt.parent_schema, mt.parent_name, mt.control, mt.control_type, mt.every, mt.every_interval, mt.every_int,
          mt.premake, mt.keep, mt.on_expire, mt.time_zone, mt.default_partition)
  returning * into mt;
  perform _tide.log_action(null, parent, 'manage', null, 'ok',
                           message => format('every %s, premake %s, keep %s, on_expire %s, time zone %s',
                                             mt.every, mt.premake, coalesce(mt.keep, 'forever'), mt.on_expire, mt.time_zone));
  if mt.default_partition and not exists (select from pg_partitioned_table pt where pt.partrelid = mt.parent and pt.partdefid <> 0) then
    partition := _tide.create_default_partition(mt);
    lower_bound := null; upper_bound := null; is_default := true; rows_moved := 0;
    return next;
  end if;
  for i in 1 .. coalesce(cardinality(los), 0) loop
    select c.partition, c.lower_bound, c.upper_bound, false, c.rows_moved
      into partition, lower_bound, upper_bound, is_default, rows_moved
      from _tide.create_partition(mt, los[i], his[i]) c;
    return next;
  end loop;
  perform set_config('lock_timeout', old_lt, true);
end
$$;
COMMENT ON FUNCTION tide.manage(parent regclass, control name, every text, premake integer, keep text, on_expire text, start_at text, time_zone text, default_partition boolean) IS 'Takes a RANGE-partitioned table under pgtide management: adopts its partitions, creates the default partition and partitions from start_at (default now) to premake intervals ahead; returns one row per partition created. Locks: SHARE UPDATE EXCLUSIVE on the parent per ATTACH, each wait bounded by lock_timeout.';
CREATE FUNCTION tide.mark_archive_exported(archive_id bigint, target_uri text, file_bytes bigint, file_sha256 text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  st text;
begin
  select a.state into st from _tide.archives a where a.archive_id = mark_archive_exported.archive_id for update;
  if not found then
    raise exception using errcode = 'no_data_found',
      message = format('pgtide: archive job %s does not exist', archive_id),
      detail = 'No row of tide.archives has this archive_id.', hint = 'See tide.archives.';
  end if;
  if st not in ('exporting', 'exported', 'verified') then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('pgtide: archive job %s is %s, not exporting', archive_id, st),
      detail = 'Only a job claimed with tide.claim_archive can be marked exported.',
      hint = 'Claim it first with tide.claim_archive.';
  end if;
  if file_sha256 !~ '^[0-9a-f]{64}$' or file_bytes is null or file_bytes < 0 or coalesce(target_uri, '') = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('pgtide: bad export record for archive job %s', archive_id),
      detail = format('target_uri %L, file_bytes %s, file_sha256 %L', target_uri, file_bytes, file_sha256),
      hint = 'Pass the final URI, the size in bytes and the lowercase hex sha256 of the object.';
  end if;
  update _tide.archives a
     set state = 'exported', target_uri = mark_archive_exported.target_uri,
         file_bytes = mark_archive_exported.file_bytes, file_sha256 = mark_archive_exported.file_sha256,
         updated_at = now()
   where a.archive_id = mark_archive_exported.archive_id;
end
$_$;
COMMENT ON FUNCTION tide.mark_archive_exported(archive_id bigint, target_uri text, file_bytes bigint, file_sha256 text) IS 'pgtide: record that archive job ARCHIVE_ID has its Parquet object and manifest at TARGET_URI (state exported)';
CREATE FUNCTION tide.partitions_scanned(query text, path text DEFAULT current_setting('search_path'::text)) RETURNS TABLE(partition regclass, parent regclass, node text, subplans_removed integer)
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  skeleton text;
  plan     jsonb;
begin
  if query is null or btrim(query) = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned: the query is empty',
      hint = 'Pass one SELECT statement as text, e.g. select * from tide.partitions_scanned($$select * from t where ts >= now() - interval ''1 day''$$).';
  end if;
  skeleton := btrim(_tide.obs_strip_sql(query));
  skeleton := regexp_replace(skeleton, '[;\s]+$', '');
  if strpos(skeleton, ';') > 0 then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned accepts exactly one statement',
      detail = format('The text holds more than one statement: %s', left(query, 200)),
      hint = 'Remove everything after the first statement''s semicolon.';
  end if;
  if skeleton !~* '^\(*\s*(select|with|values|table)\M' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned accepts only a SELECT (or WITH … SELECT) statement',
      detail = format('The statement starts with: %s', left(btrim(query), 60)),
      hint = 'To check routing of an INSERT, pass the SELECT that finds its key, e.g. select * from t where ts = ''2025-08-01''.';
  end if;
  if skeleton ~* '^\(*\s*with\M' and
     regexp_replace(skeleton, '\mfor\s+(no\s+key\s+)?update\M', ' ', 'gi') ~* '\m(insert|update|delete|merge|truncate)\M' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.partitions_scanned refuses data-modifying WITH queries',
      detail = 'The WITH clause holds INSERT, UPDATE, DELETE, MERGE or TRUNCATE.',
      hint = 'Pass the SELECT part alone.';
  end if;
  plan := _tide.obs_explain(query, path);
  return query
    with recursive nodes as (
      select plan -> 0 -> 'Plan' as n, null::integer as removed
      union all
      select c.value, case when nodes.n ->> 'Node Type' in ('Append', 'Merge Append')
                           then coalesce((nodes.n ->> 'Subplans Removed')::int, 0) else nodes.removed end
        from nodes, jsonb_array_elements(coalesce(nodes.n -> 'Plans', '[]'::jsonb)) c
    )
    select distinct on (c.oid) c.oid::regclass, i.inhparent::regclass, nodes.n ->> 'Node Type', nodes.removed
      from nodes
      join pg_namespace ns on ns.nspname = nodes.n ->> 'Schema'
      join pg_class c on c.relnamespace = ns.oid and c.relname = nodes.n ->> 'Relation Name'
      left join pg_inherits i on i.inhrelid = c.oid
     where nodes.n ? 'Relation Name'
     order by c.oid;
end
$_$;
COMMENT ON FUNCTION tide.partitions_scanned(query text, path text) IS 'The tables and partitions a single SELECT (or WITH … SELECT) would read, from EXPLAIN (VERBOSE, FORMAT JSON) — after plan-time pruning and the run-time pruning done at executor start (subplans_removed counts what the enclosing Append dropped then). Pruning that depends on values produced while the query runs cannot be known without running it. The query is never executed: it is planned in a read-only transaction state, and anything but one SELECT is refused. Names in the query resolve through PATH, by default the caller''s search_path. Takes ACCESS SHARE on every table the query names, as planning does.';
CREATE FUNCTION tide.release_archive(archive_id bigint) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
declare
  key bigint := _tide.lock_key('archive', archive_id::oid);
begin
  if exists (select from pg_catalog.pg_locks l
             where l.locktype = 'advisory' and l.pid = pg_catalog.pg_backend_pid() and l.granted
               and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = current_database())
               and ((l.classid::bigint << 32) | l.objid::bigint) = key and l.objsubid = 1) then
    return pg_catalog.pg_advisory_unlock(key);
  end if;
  return false;
end
$$;
COMMENT ON FUNCTION tide.release_archive(archive_id bigint) IS 'pgtide: release the session advisory lock this connection holds on archive job ARCHIVE_ID (no-op when not held)';
CREATE PROCEDURE tide.run_maintenance(IN parent regclass DEFAULT NULL::regclass, IN as_of timestamp with time zone DEFAULT now())
    LANGUAGE plpgsql
    AS $$
declare
  rid      bigint;
  tables   regclass[];
  t        regclass;
  res      record;
  n_ok     integer := 0;
  n_skip   integer := 0;
  n_fail   integer := 0;
  st       text;
  msg      text;
  det      text;
  retention interval;
  first_kept bigint;
begin
  if pg_catalog.pg_is_in_recovery() then
    return;  -- a standby cannot write; the primary's run does the work
  end if;
  -- Rule 8: look at the installer's lock before touching any _tide table: an install or upgrade
  -- in progress may hold them ACCESS EXCLUSIVE (migrations) until it commits. The skip is
  -- recorded only if that can be done without waiting.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(_tide.lock_key('install')) then
    begin
      perform pg_catalog.set_config('lock_timeout', '50ms', true);
      insert into _tide.runs (as_of, only_parent, outcome, finished_at)
      values (as_of, parent, 'skipped', pg_catalog.clock_timestamp());
    exception when lock_not_available then
      raise notice 'pgtide: maintenance skipped: pgtide is being installed or upgraded';
    end;
    return;
  end if;
  if parent is not null then
    perform _tide.load_managed_table(parent);  -- TD001 when not managed
  end if;
  insert into _tide.runs (as_of, only_parent) values (as_of, parent) returning run_id into rid;
  commit;
  select pg_catalog.array_agg(m.parent order by m.parent_schema, m.parent_name) into tables
    from _tide.managed_tables m
   where (run_maintenance.parent is null or m.parent = run_maintenance.parent) and m.enabled
     -- a table with nothing due since its last successful run, and no change to its partitions or
     -- settings since, is skipped here in one query (the common case when pg_cron fires)
     and (m.next_due_at is null or m.next_due_at <= as_of or m.due_signature is distinct from _tide.due_signature(m));
  select pg_catalog.count(*)::integer - coalesce(pg_catalog.array_length(tables, 1), 0) into n_ok
    from _tide.managed_tables m
   where (run_maintenance.parent is null or m.parent = run_maintenance.parent) and m.enabled;
  foreach t in array coalesce(tables, array[]::regclass[]) loop
    if not pg_catalog.pg_try_advisory_xact_lock_shared(_tide.lock_key('install')) then
      -- an install started: leave the rest to the next run
      perform _tide.log_action(rid, t, 'maintain', null, 'skipped', message => 'pgtide is being installed or upgraded');
      n_skip := n_skip + 1;
      commit;
      continue;
    end if;
    begin
      if not pg_catalog.pg_try_advisory_xact_lock(_tide.lock_key('maintain', t)) then
        perform _tide.log_action(rid, t, 'maintain', null, 'busy', message => 'another session is maintaining this table');
        n_skip := n_skip + 1;
      else
        select * into res from _tide.maintain_table(t, as_of, rid);
        if res.outcome = 'ok' then n_ok := n_ok + 1; else n_skip := n_skip + 1; end if;
      end if;
    exception when others then
      get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail;
      perform _tide.log_action(rid, t, 'maintain', null, 'error', sqlstate => st, message => msg, detail => det);
      n_fail := n_fail + 1;
    end;
    commit;
  end loop;
  select coalesce(s.value, '30 days')::interval into retention from _tide.settings s where s.name = 'log_retention';
  retention := coalesce(retention, interval '30 days');
  -- pruning walks the primary keys from the oldest row (ids grow with time), so a run with
  -- nothing to prune reads one index entry per table, not the whole log
  select l.log_id into first_kept from _tide.log l where l.logged_at >= pg_catalog.now() - retention order by l.log_id limit 1;
  delete from _tide.log l where l.log_id < first_kept or (first_kept is null and l.logged_at < pg_catalog.now() - retention);
  select r.run_id into first_kept from _tide.runs r where r.started_at >= pg_catalog.now() - retention order by r.run_id limit 1;
  delete from _tide.runs r where (r.run_id < first_kept or (first_kept is null and r.started_at < pg_catalog.now() - retention))
                             and r.run_id <> rid;
  update _tide.runs r
     set finished_at = pg_catalog.clock_timestamp(), tables_ok = n_ok, tables_skipped = n_skip, tables_failed = n_fail,
         outcome = case when n_fail = 0 and n_skip = 0 then 'ok'
                        when n_ok = 0 and n_skip = 0 then 'failed'
                        else 'partial' end
   where r.run_id = rid;
  commit;
end
$$;
COMMENT ON PROCEDURE tide.run_maintenance(IN parent regclass, IN as_of timestamp with time zone) IS 'Maintains every enabled managed table (or only PARENT) as of AS_OF: creates ahead, moves default rows, applies retention; commits after each table, skips busy ones, records failures and keeps going; returns at once on a standby. Locks: per parent SHARE UPDATE EXCLUSIVE (create) or brief ACCESS EXCLUSIVE (drop/detach), each under the table''s lock_timeout.';
CREATE FUNCTION tide.schedule(cron text DEFAULT '*/10 * * * *'::text) RETURNS bigint
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  cron_db  text := current_setting('cron.database_name', true);
  job      text := _tide.cron_job_name();
  id       bigint;
begin
  if cron is null or btrim(cron) = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.schedule: the cron schedule is empty',
      hint = 'Pass a cron expression in GMT, e.g. select tide.schedule(''*/10 * * * *'');';
  end if;
  if cron_db is null then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('cannot schedule maintenance of database %s: pg_cron is not loaded', current_database()),
      detail = 'The setting cron.database_name is unknown, so the pg_cron background worker is not running.',
      hint = 'Add pg_cron to shared_preload_libraries and restart, or run CALL tide.run_maintenance(); from another scheduler every few minutes.';
  end if;
  if to_regprocedure('cron.schedule(text,text,text)') is null then
    if cron_db <> current_database() then
      raise exception using errcode = 'object_not_in_prerequisite_state',
        message = format('cannot schedule maintenance of database %s from here: pg_cron lives in database %s', current_database(), cron_db),
        detail = 'pg_cron''s functions exist only in the database named by cron.database_name.',
        hint = format('Connect to database %s and run: %s  (or: pgtide schedule --database-url <this database>)',
                      cron_db, _tide.cron_schedule_statement(cron));
    end if;
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('cannot schedule maintenance of database %s: extension pg_cron is not created', current_database()),
      hint = 'Run CREATE EXTENSION pg_cron; (as a superuser), then select tide.schedule();';
  end if;
  execute 'select cron.schedule($1, $2, $3)' into id using job, cron, 'CALL tide.run_maintenance()';
  insert into _tide.settings (name, value) values ('cron_schedule', cron)
  on conflict (name) do update set value = excluded.value;
  return id;
end
$_$;
COMMENT ON FUNCTION tide.schedule(cron text) IS 'Creates or updates the pg_cron job that runs CALL tide.run_maintenance() in this database on the cron schedule CRON (pg_cron 1.4 reads schedules in GMT), and returns its jobid. Idempotent. When pg_cron lives in another database (cron.database_name) it raises, with the exact cron.schedule_in_database(...) call to run there in its HINT.';
CREATE PROCEDURE tide.split_legacy(IN parent regclass, IN batch_rows integer DEFAULT 10000)
    LANGUAGE plpgsql
    AS $$
declare
  st       record;
  t0       timestamptz := pg_catalog.clock_timestamp();
  moved    bigint := 0;
  rate     numeric;
  last_note timestamptz;
begin
  loop
    select * into st from _tide.convert_split_step(parent, batch_rows, pg_catalog.now());
    commit;
    moved := moved + st.rows;
    rate := moved / greatest(extract(epoch from pg_catalog.clock_timestamp() - t0), 0.001);
    if st.rows = 0 or st.done or last_note is null or pg_catalog.clock_timestamp() - last_note > interval '2 seconds' then
      raise notice 'pgtide: split % — % (% rows done, % left, % rows/s, ETA %)',
        parent, st.action, moved, st.rows_left, round(rate),
        case when rate > 0 then pg_catalog.make_interval(secs => round(st.rows_left / rate)) end;
      last_note := pg_catalog.clock_timestamp();
    end if;
    exit when st.done;
  end loop;
end
$$;
COMMENT ON PROCEDURE tide.split_legacy(IN parent regclass, IN batch_rows integer) IS 'Moves the rows of PARENT''s legacy partition (left by tide.convert) into proper partitions, oldest interval first, BATCH_ROWS per committed transaction, with progress NOTICEs (rows moved, left, rate, ETA). Expired intervals (keep, on_expire = drop) are deleted, not copied. Safe to stop and CALL again. Takes ROW EXCLUSIVE on the legacy partition, ACCESS EXCLUSIVE on the parent for milliseconds per interval (lock_timeout from tide.config, retried). Rows of the interval being moved are invisible through the parent until that interval is attached. CALL outside a transaction block.';
CREATE PROCEDURE tide.unconvert(IN parent regclass, IN batch_rows integer DEFAULT 10000)
    LANGUAGE plpgsql
    AS $$
declare
  plan       jsonb;
  res        jsonb;
  st         record;
  name       text := parent::text;
  t0         timestamptz := pg_catalog.clock_timestamp();
  moved      bigint := 0;
  rate       numeric;
  last_note  timestamptz;
begin
  plan := _tide.unconvert_preflight(parent, batch_rows);
  raise notice 'pgtide: unconvert % — about % rows in % partitions, %',
    name, plan->>'rows_estimate', plan->>'partitions', pg_catalog.pg_size_pretty((plan->>'total_bytes')::bigint);
  if plan->>'path' = 'detach' then
    raise notice 'pgtide: plan: detach % (all rows but % are in it) and give it the name %', plan->>'keep_partition', plan->>'rows_elsewhere', name;
    res := _tide.unconvert_locked(parent, 'detach', batch_rows);
    commit;
    if (res->>'done')::boolean then
      raise notice 'pgtide: % is a plain table again (was partition %; % rows moved into it), lock held % ms (attempt %)',
        name, res->>'kept_partition', res->>'rows_moved', res->>'lock_ms', res->>'attempts';
      return;
    end if;
    raise notice 'pgtide: more than % rows arrived outside %; copying instead', batch_rows, plan->>'keep_partition';
  end if;
  res := _tide.unconvert_start(parent);
  commit;
  raise notice 'pgtide: %: copying % rows into %, oldest partition first, % per batch; writes continue and are replayed',
    case when (res->>'resumed')::boolean then 'resuming' else 'started' end, res->>'rows_total', res->>'target', batch_rows;
  loop
    select * into st from _tide.unconvert_step(parent, batch_rows);
    commit;
    moved := moved + st.rows;
    rate := moved / greatest(extract(epoch from pg_catalog.clock_timestamp() - t0), 0.001);
    if st.done or last_note is null or pg_catalog.clock_timestamp() - last_note > interval '2 seconds' then
      raise notice 'pgtide: unconvert % — % (% rows moved, % left, % rows/s)', name, st.action, moved, st.rows_left, round(rate);
      last_note := pg_catalog.clock_timestamp();
    end if;
    exit when st.done;
  end loop;
end
$$;
COMMENT ON PROCEDURE tide.unconvert(IN parent regclass, IN batch_rows integer) IS 'Turns managed partitioned table PARENT back into one plain table of the same name and shape (indexes, grants, defaults, identity position, sequences, comments, owner, triggers) and unmanages it; refuses (changing nothing) when that is not safe. When one partition holds all rows but at most BATCH_ROWS, it is detached and renamed in one short transaction; otherwise rows are copied oldest partition first, BATCH_ROWS per committed transaction, while a trigger records concurrent writes, which are replayed; the final swap holds ACCESS EXCLUSIVE on PARENT and its partitions briefly (lock_timeout from tide.config, retried). Safe to stop and CALL again. CALL outside a transaction block.';
CREATE FUNCTION tide.unmanage(parent regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
begin
  perform _tide.load_managed_table(parent);  -- TD001 when not managed
  delete from _tide.managed_tables m where m.parent = unmanage.parent;
  perform _tide.log_action(null, parent, 'unmanage', null, 'ok');
end
$$;
COMMENT ON FUNCTION tide.unmanage(parent regclass) IS 'Stops pgtide managing a table; partitions and rows stay. Takes no lock on the table.';
CREATE FUNCTION tide.unschedule() RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
declare
  cron_db text := current_setting('cron.database_name', true);
  id      bigint;
begin
  if to_regclass('cron.job') is null then
    if cron_db is not null and cron_db <> current_database() then
      raise exception using errcode = 'object_not_in_prerequisite_state',
        message = format('cannot unschedule maintenance of database %s from here: pg_cron lives in database %s', current_database(), cron_db),
        hint = format('Connect to database %s and run: select cron.unschedule(%L);', cron_db, _tide.cron_job_name());
    end if;
    return false;  -- no pg_cron here: nothing is scheduled
  end if;
  execute 'select jobid from cron.job where jobname = $1 and username = current_user order by jobid limit 1'
     into id using _tide.cron_job_name();
  if id is null then
    return false;
  end if;
  execute 'select cron.unschedule($1)' using id;
  return true;
end
$_$;
COMMENT ON FUNCTION tide.unschedule() IS 'Removes the pg_cron job that runs pgtide maintenance in this database; returns false when there was none. Idempotent. Raises, with the call to run there, when pg_cron lives in another database.';
CREATE TABLE _tide.archives (
    archive_id bigint NOT NULL,
    parent_oid oid NOT NULL,
    parent text NOT NULL,
    partition regclass,
    partition_name text NOT NULL,
    lower_bound text,
    upper_bound text,
    rows bigint,
    bytes bigint,
    state text DEFAULT 'pending'::text NOT NULL,
    target_uri text,
    file_bytes bigint,
    file_sha256 text,
    content_checksum text,
    attempts integer DEFAULT 0 NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    verified_at timestamp with time zone,
    dropped_at timestamp with time zone,
    error text,
    partition_schema name,
    partition_table name,
    parent_schema name,
    parent_table name,
    control name,
    min_control text,
    max_control text,
    manifest jsonb,
    worker text,
    claimed_at timestamp with time zone,
    CONSTRAINT archives_state CHECK ((state = ANY (ARRAY['pending'::text, 'exporting'::text, 'exported'::text, 'verified'::text, 'dropped'::text, 'failed'::text])))
);
COMMENT ON TABLE _tide.archives IS 'Archive queue for on_expire => archive; shown as tide.archives';
ALTER TABLE _tide.archives ALTER COLUMN archive_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _tide.archives_archive_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE _tide.catalog_objects (
    kind text NOT NULL,
    identity text NOT NULL,
    definition_md5 text NOT NULL
);
COMMENT ON TABLE _tide.catalog_objects IS 'What the last install created in tide and _tide, for pgtide doctor';
CREATE TABLE _tide.detached (
    partition regclass NOT NULL,
    parent_oid oid NOT NULL,
    parent text NOT NULL,
    lower_bound text,
    upper_bound text,
    reason text DEFAULT 'retention'::text NOT NULL,
    detached_at timestamp with time zone DEFAULT now() NOT NULL
);
COMMENT ON TABLE _tide.detached IS 'Partitions retention detached and kept as plain tables';
CREATE TABLE _tide.installation (
    singleton boolean DEFAULT true NOT NULL,
    version text NOT NULL,
    source_sha256 text NOT NULL,
    installed_at timestamp with time zone DEFAULT now() NOT NULL,
    upgraded_at timestamp with time zone,
    CONSTRAINT installation_singleton CHECK (singleton)
);
CREATE TABLE _tide.legacy (
    parent regclass NOT NULL,
    parent_oid oid NOT NULL,
    legacy regclass,
    legacy_name text NOT NULL,
    lower_bound text NOT NULL,
    upper_bound text NOT NULL,
    rows_at_convert bigint,
    bytes_at_convert bigint,
    converted_at timestamp with time zone DEFAULT now() NOT NULL,
    swap_lock_ms numeric,
    split_rows_total bigint,
    rows_moved bigint DEFAULT 0 NOT NULL,
    rows_expired bigint DEFAULT 0 NOT NULL,
    split_started_at timestamp with time zone,
    split_finished_at timestamp with time zone,
    state text DEFAULT 'attached'::text NOT NULL,
    CONSTRAINT legacy_state CHECK ((state = ANY (ARRAY['attached'::text, 'splitting'::text, 'split'::text])))
);
COMMENT ON TABLE _tide.legacy IS 'One row per table tide.convert turned into a partitioned table: its legacy partition and split progress';
CREATE TABLE _tide.log (
    log_id bigint NOT NULL,
    run_id bigint,
    logged_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    parent_oid oid,
    parent text,
    action text NOT NULL,
    partition text,
    rows bigint,
    duration interval,
    outcome text NOT NULL,
    sqlstate text,
    message text,
    detail text,
    CONSTRAINT log_outcome CHECK ((outcome = ANY (ARRAY['ok'::text, 'skipped'::text, 'busy'::text, 'lock_timeout'::text, 'error'::text])))
);
COMMENT ON TABLE _tide.log IS 'Every maintenance action; shown as tide.maintenance_log, pruned by maintenance';
ALTER TABLE _tide.log ALTER COLUMN log_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _tide.log_log_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE _tide.pgmigrations (
    id integer NOT NULL,
    name character varying(255) NOT NULL,
    run_on timestamp without time zone NOT NULL
);
CREATE SEQUENCE _tide.pgmigrations_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;
ALTER SEQUENCE _tide.pgmigrations_id_seq OWNED BY _tide.pgmigrations.id;
CREATE TABLE _tide.runs (
    run_id bigint NOT NULL,
    started_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    finished_at timestamp with time zone,
    as_of timestamp with time zone NOT NULL,
    only_parent regclass,
    outcome text DEFAULT 'running'::text NOT NULL,
    tables_ok integer DEFAULT 0 NOT NULL,
    tables_skipped integer DEFAULT 0 NOT NULL,
    tables_failed integer DEFAULT 0 NOT NULL,
    CONSTRAINT runs_outcome CHECK ((outcome = ANY (ARRAY['running'::text, 'ok'::text, 'partial'::text, 'failed'::text, 'skipped'::text])))
);
COMMENT ON TABLE _tide.runs IS 'One row per call of tide.run_maintenance';
ALTER TABLE _tide.runs ALTER COLUMN run_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _tide.runs_run_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE _tide.settings (
    name text NOT NULL,
    value text NOT NULL,
    CONSTRAINT settings_name CHECK ((name ~ '^[a-z_]+$'::text))
);
COMMENT ON TABLE _tide.settings IS 'Product-wide settings (log retention, the pg_cron job name)';
CREATE TABLE _tide.unconvert_changes (
    change_id bigint NOT NULL,
    parent regclass NOT NULL,
    relid oid NOT NULL,
    op text NOT NULL,
    old_row text,
    new_row text,
    CONSTRAINT unconvert_changes_op CHECK ((op = ANY (ARRAY['INSERT'::text, 'UPDATE'::text, 'DELETE'::text])))
);
COMMENT ON TABLE _tide.unconvert_changes IS 'Rows written through a table while tide.unconvert copies it (by its capture trigger), replayed into the plain table';
ALTER TABLE _tide.unconvert_changes ALTER COLUMN change_id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME _tide.unconvert_changes_change_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
CREATE TABLE _tide.unconvert_progress (
    parent regclass NOT NULL,
    partition regclass NOT NULL,
    last_key text[],
    rows_copied bigint DEFAULT 0 NOT NULL,
    done boolean DEFAULT false NOT NULL
);
COMMENT ON TABLE _tide.unconvert_progress IS 'Per-partition copy cursor of a tide.unconvert in progress: the key (as text) of the last row copied';
CREATE TABLE _tide.unconverts (
    parent regclass NOT NULL,
    parent_oid oid NOT NULL,
    parent_name text NOT NULL,
    target regclass NOT NULL,
    key_columns name[] NOT NULL,
    was_enabled boolean NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    rows_total bigint DEFAULT 0 NOT NULL,
    rows_copied bigint DEFAULT 0 NOT NULL,
    rows_replayed bigint DEFAULT 0 NOT NULL
);
COMMENT ON TABLE _tide.unconverts IS 'tide.unconvert in progress: the plain table being filled for each parent and the key used to copy and replay';
CREATE VIEW tide.archives AS
 SELECT a.archive_id,
    a.parent,
    a.partition_name AS partition,
    a.lower_bound,
    a.upper_bound,
    a.rows,
    a.bytes,
    a.state,
    a.target_uri,
    a.file_bytes,
    a.file_sha256,
    a.content_checksum,
    a.min_control,
    a.max_control,
    a.attempts,
    a.error,
    a.worker,
    a.queued_at,
    a.claimed_at,
    a.updated_at,
    a.verified_at,
    a.dropped_at
   FROM _tide.archives a;
COMMENT ON VIEW tide.archives IS 'pgtide: archive queue for on_expire => archive — partition, bounds, rows, bytes, state (pending/exporting/exported/verified/dropped/failed), target URI, file size, checksums, attempts, error, timestamps';
CREATE VIEW tide.config AS
 SELECT m.parent,
    m.control,
    m.control_type,
    m.every,
    m.premake,
    m.keep,
    m.on_expire,
    m.time_zone,
    m.default_partition,
    m.enabled,
    m.lock_timeout,
    m.lock_retries,
    m.detach_schema,
    m.created_at,
    m.updated_at
   FROM _tide.managed_tables m;
COMMENT ON VIEW tide.config IS 'One row per managed table. UPDATE premake, keep, on_expire, enabled, default_partition, lock_timeout, lock_retries, detach_schema; every change is validated. Takes no lock on the managed table.';
CREATE VIEW tide.health AS
 SELECT obs_health.parent,
    obs_health."check",
    obs_health.severity,
    obs_health.detail,
    obs_health.hint
   FROM _tide.obs_health(now()) obs_health(parent, "check", severity, detail, hint)
  ORDER BY
        CASE obs_health.severity
            WHEN 'critical'::text THEN 0
            ELSE 1
        END, obs_health.parent NULLS FIRST, obs_health."check";
COMMENT ON VIEW tide.health IS 'One row per problem, empty when all is well: parent (NULL for product-wide problems), check, severity (warning/critical), a one-line detail and a hint naming the fixing command. Checks: table_missing, missing_partitions (warning below premake, critical when no partition ahead), default_rows, retention_overdue, maintenance_failing, maintenance_stale (no run for twice the schedule), not_scheduled, cron_run_failed, oversized_partition, detach_pending, leftover_table, archive_backlog, archive_failed. Reads the catalog, statistics, _tide.log, _tide.archives and (when visible) cron.job / cron.job_run_details.';
CREATE VIEW tide.maintenance_log AS
 SELECT l.logged_at,
    l.run_id,
    l.parent,
    l.action,
    l.partition,
    l.rows,
    l.duration,
    l.outcome,
    l.sqlstate,
    l.message,
    l.detail,
    r.as_of
   FROM (_tide.log l
     LEFT JOIN _tide.runs r ON ((r.run_id = l.run_id)))
UNION ALL
 SELECT r.started_at AS logged_at,
    r.run_id,
    (r.only_parent)::text AS parent,
    'run'::text AS action,
    NULL::text AS partition,
    NULL::bigint AS rows,
    (r.finished_at - r.started_at) AS duration,
    r.outcome,
    NULL::text AS sqlstate,
    format('%s ok, %s skipped, %s failed'::text, r.tables_ok, r.tables_skipped, r.tables_failed) AS message,
    NULL::text AS detail,
    r.as_of
   FROM _tide.runs r;
COMMENT ON VIEW tide.maintenance_log IS 'Every maintenance run (action ''run'') and every action: when, table, action, partition, rows, duration, outcome, SQLSTATE and error text. Pruned after _tide.settings.log_retention. Takes no lock on managed tables.';
CREATE VIEW tide.partitions AS
 SELECT obs_partitions.parent,
    obs_partitions.partition,
    obs_partitions.partition_schema,
    obs_partitions.partition_name,
    obs_partitions.lower_bound,
    obs_partitions.upper_bound,
    obs_partitions.time_range,
    obs_partitions.int_range,
    obs_partitions.is_default,
    obs_partitions.detached,
    obs_partitions.detach_pending,
    obs_partitions.row_estimate,
    obs_partitions.table_bytes,
    obs_partitions.toast_bytes,
    obs_partitions.index_bytes,
    obs_partitions.total_bytes,
    obs_partitions.dead_tuples,
    obs_partitions.last_vacuum,
    obs_partitions.last_autovacuum,
    obs_partitions.last_analyze,
    obs_partitions.last_autoanalyze,
    obs_partitions.seq_scans,
    obs_partitions.idx_scans
   FROM _tide.obs_partitions() obs_partitions(parent, partition, partition_schema, partition_name, lower_bound, upper_bound, time_range, int_range, is_default, detached, detach_pending, row_estimate, table_bytes, toast_bytes, index_bytes, total_bytes, dead_tuples, last_vacuum, last_autovacuum, last_analyze, last_autoanalyze, seq_scans, idx_scans);
COMMENT ON VIEW tide.partitions IS 'One row per partition of every managed table (and per partition retention detached and kept): bounds as text and as a tstzrange (time keys) or int8range (integer keys), is_default, detached, row estimate, table/toast/index/total bytes estimated from pg_class.relpages (current as of the last VACUUM, ANALYZE or CREATE INDEX), dead tuples, last (auto)vacuum/analyze, sequential and index scans. Reads the catalog and statistics only: takes no lock on any partition.';
CREATE VIEW tide.recommendations AS
 SELECT obs_recommendations.parent,
    obs_recommendations.recommendation,
    obs_recommendations.detail,
    obs_recommendations.action,
    obs_recommendations.evidence
   FROM _tide.obs_recommendations(now()) obs_recommendations(parent, recommendation, detail, action, evidence);
COMMENT ON VIEW tide.recommendations IS 'Advice from measured statistics, one row each: parent, recommendation (interval_too_coarse, interval_too_fine, empty_old_partitions, unused_index_on_old_partitions, shorter_keep), detail with the numbers, suggested action, evidence as jsonb. Scan counts are since the last statistics reset. Reads the catalog and statistics only.';
CREATE VIEW tide.tables AS
 SELECT obs_tables.parent,
    obs_tables.parent_schema,
    obs_tables.parent_name,
    obs_tables.table_state,
    obs_tables.control,
    obs_tables.control_type,
    obs_tables.every,
    obs_tables.premake,
    obs_tables.keep,
    obs_tables.on_expire,
    obs_tables.time_zone,
    obs_tables.default_partition,
    obs_tables.enabled,
    obs_tables.partitions,
    obs_tables.detached_partitions,
    obs_tables.oldest_bound,
    obs_tables.newest_bound,
    obs_tables.current_partition,
    obs_tables.covered_until,
    obs_tables.partitions_ahead,
    obs_tables.default_rows,
    obs_tables.default_rows_exact,
    obs_tables.total_bytes,
    obs_tables.bytes_per_interval,
    obs_tables.rows_per_interval,
    obs_tables.expired_partitions,
    obs_tables.oldest_expired_upper,
    obs_tables.last_run_at,
    obs_tables.last_outcome,
    obs_tables.last_message,
    obs_tables.last_success_at,
    obs_tables.failures_in_a_row,
    obs_tables.next_action,
    obs_tables.next_action_due
   FROM _tide.obs_tables(now()) obs_tables(parent, parent_schema, parent_name, table_state, control, control_type, every, premake, keep, on_expire, time_zone, default_partition, enabled, partitions, detached_partitions, oldest_bound, newest_bound, current_partition, covered_until, partitions_ahead, default_rows, default_rows_exact, total_bytes, bytes_per_interval, rows_per_interval, expired_partitions, oldest_expired_upper, last_run_at, last_outcome, last_message, last_success_at, failures_in_a_row, next_action, next_action_due);
COMMENT ON VIEW tide.tables IS 'One row per managed table: table_state (ok / missing / not_partitioned), settings, partitions, detached partitions, oldest and newest bound, current partition, covered_until (writes up to this key have a partition) and partitions_ahead, rows in the default (exact up to 10,000, else the estimate), total bytes (catalog estimate), bytes and rows per interval (mean of the last 3 complete partitions), partitions due for retention, last maintenance (time, outcome, message, last success, failures in a row), and the next action with its due time. Takes ACCESS SHARE on each default partition for a bounded count.';
ALTER TABLE ONLY _tide.pgmigrations ALTER COLUMN id SET DEFAULT nextval('_tide.pgmigrations_id_seq'::regclass);
ALTER TABLE ONLY _tide.archives
    ADD CONSTRAINT archives_pkey PRIMARY KEY (archive_id);
ALTER TABLE ONLY _tide.catalog_objects
    ADD CONSTRAINT catalog_objects_pkey PRIMARY KEY (kind, identity);
ALTER TABLE ONLY _tide.detached
    ADD CONSTRAINT detached_pkey PRIMARY KEY (partition);
ALTER TABLE ONLY _tide.installation
    ADD CONSTRAINT installation_pkey PRIMARY KEY (singleton);
ALTER TABLE ONLY _tide.legacy
    ADD CONSTRAINT legacy_pkey PRIMARY KEY (parent);
ALTER TABLE ONLY _tide.log
    ADD CONSTRAINT log_pkey PRIMARY KEY (log_id);
ALTER TABLE ONLY _tide.managed_tables
    ADD CONSTRAINT managed_tables_pkey PRIMARY KEY (parent);
ALTER TABLE ONLY _tide.pgmigrations
    ADD CONSTRAINT pgmigrations_pkey PRIMARY KEY (id);
ALTER TABLE ONLY _tide.runs
    ADD CONSTRAINT runs_pkey PRIMARY KEY (run_id);
ALTER TABLE ONLY _tide.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (name);
ALTER TABLE ONLY _tide.unconvert_changes
    ADD CONSTRAINT unconvert_changes_pkey PRIMARY KEY (change_id);
ALTER TABLE ONLY _tide.unconvert_progress
    ADD CONSTRAINT unconvert_progress_pkey PRIMARY KEY (parent, partition);
ALTER TABLE ONLY _tide.unconverts
    ADD CONSTRAINT unconverts_pkey PRIMARY KEY (parent);
ALTER TABLE ONLY _tide.unconverts
    ADD CONSTRAINT unconverts_target_unique UNIQUE (target);
CREATE UNIQUE INDEX archives_partition_name ON _tide.archives USING btree (partition_name) WHERE (state <> 'dropped'::text);
CREATE INDEX archives_state ON _tide.archives USING btree (state, queued_at);
CREATE INDEX log_parent_logged_at ON _tide.log USING btree (parent_oid, logged_at DESC);
CREATE INDEX log_run_id ON _tide.log USING btree (run_id);
CREATE INDEX unconvert_changes_parent ON _tide.unconvert_changes USING btree (parent, change_id);
CREATE TRIGGER managed_tables_check BEFORE INSERT OR UPDATE ON _tide.managed_tables FOR EACH ROW EXECUTE FUNCTION _tide.check_managed_table();
ALTER TABLE ONLY _tide.log
    ADD CONSTRAINT log_run_id_fkey FOREIGN KEY (run_id) REFERENCES _tide.runs(run_id) ON DELETE CASCADE;
ALTER TABLE ONLY _tide.unconvert_progress
    ADD CONSTRAINT unconvert_progress_parent_fkey FOREIGN KEY (parent) REFERENCES _tide.unconverts(parent) ON DELETE CASCADE;
GRANT USAGE ON SCHEMA _tide TO tide_admin;
GRANT USAGE ON SCHEMA _tide TO tide_monitor;
GRANT USAGE ON SCHEMA tide TO tide_admin;
GRANT USAGE ON SCHEMA tide TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.archive_columns(tbl regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.archive_columns(tbl regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.archive_columns(tbl regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.archive_problems(as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.archive_problems(as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.archive_problems(as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.archive_row_hash_sql(tbl regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.archive_row_hash_sql(tbl regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.archive_row_hash_sql(tbl regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.catalog_drift() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.catalog_drift() TO tide_admin;
GRANT ALL ON FUNCTION _tide.catalog_drift() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.catalog_fingerprint() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.catalog_fingerprint() TO tide_admin;
GRANT ALL ON FUNCTION _tide.catalog_fingerprint() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.check_managed_table() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.check_managed_table() TO tide_admin;
GRANT ALL ON FUNCTION _tide.check_managed_table() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_add_checks(source regclass, control name, control_type regtype, lower_bound text, upper_bound text, lock_timeout interval, lock_retries integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_add_checks(source regclass, control name, control_type regtype, lower_bound text, upper_bound text, lock_timeout interval, lock_retries integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_add_checks(source regclass, control name, control_type regtype, lower_bound text, upper_bound text, lock_timeout interval, lock_retries integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_grid_edge(value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_grid_edge(value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_grid_edge(value text, control_type regtype, every_interval interval, every_int bigint, time_zone text, above boolean) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_preflight(source regclass, control name, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, as_of timestamp with time zone, scan boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_preflight(source regclass, control name, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, as_of timestamp with time zone, scan boolean) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_preflight(source regclass, control name, every text, premake integer, keep text, on_expire text, time_zone text, default_partition boolean, as_of timestamp with time zone, scan boolean) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_short_name(base text, suffix text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_short_name(base text, suffix text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_short_name(base text, suffix text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_split_step(parent regclass, batch_rows integer, as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_swap(plan jsonb, lock_timeout interval, lock_retries integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_swap(plan jsonb, lock_timeout interval, lock_retries integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_swap(plan jsonb, lock_timeout interval, lock_retries integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_swap_locked(plan jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_swap_locked(plan jsonb) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_swap_locked(plan jsonb) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.convert_validate(source regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.convert_validate(source regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.convert_validate(source regclass) TO tide_monitor;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.managed_tables TO tide_admin;
REVOKE ALL ON FUNCTION _tide.create_default_partition(mt _tide.managed_tables, run_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.create_default_partition(mt _tide.managed_tables, run_id bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.create_default_partition(mt _tide.managed_tables, run_id bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.create_partition(mt _tide.managed_tables, lower_pos bigint, upper_pos bigint, run_id bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.create_partition_table(mt _tide.managed_tables, partition_name name) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.create_partition_table(mt _tide.managed_tables, partition_name name) TO tide_admin;
GRANT ALL ON FUNCTION _tide.create_partition_table(mt _tide.managed_tables, partition_name name) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.cron_job_name(database name) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.cron_job_name(database name) TO tide_admin;
GRANT ALL ON FUNCTION _tide.cron_job_name(database name) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.cron_schedule_statement(cron text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.cron_schedule_statement(cron text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.cron_schedule_statement(cron text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.current_position(mt _tide.managed_tables, as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.current_position(mt _tide.managed_tables, as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.current_position(mt _tide.managed_tables, as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.default_partition_name(mt _tide.managed_tables) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.default_partition_name(mt _tide.managed_tables) TO tide_admin;
GRANT ALL ON FUNCTION _tide.default_partition_name(mt _tide.managed_tables) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.drain_default_step(parent regclass, batch_rows integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.drain_default_step(parent regclass, batch_rows integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.drain_default_step(parent regclass, batch_rows integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.due_signature(mt _tide.managed_tables) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.due_signature(mt _tide.managed_tables) TO tide_admin;
GRANT ALL ON FUNCTION _tide.due_signature(mt _tide.managed_tables) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.enqueue_archive(parent regclass, partition regclass, lower_bound text, upper_bound text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.enqueue_archive(parent regclass, partition regclass, lower_bound text, upper_bound text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.enqueue_archive(parent regclass, partition regclass, lower_bound text, upper_bound text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.execute_with_retry(statement text, retries integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.execute_with_retry(statement text, retries integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.execute_with_retry(statement text, retries integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.expire_partition(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text, run_id bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.grid_floor(mt _tide.managed_tables, pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.grid_floor(mt _tide.managed_tables, pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.grid_floor(mt _tide.managed_tables, pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.grid_floor_local(local_time timestamp without time zone, every interval) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.grid_floor_local(local_time timestamp without time zone, every interval) TO tide_admin;
GRANT ALL ON FUNCTION _tide.grid_floor_local(local_time timestamp without time zone, every interval) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.grid_next(mt _tide.managed_tables, pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.grid_next(mt _tide.managed_tables, pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.grid_next(mt _tide.managed_tables, pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.is_grid_point(mt _tide.managed_tables, pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.is_grid_point(mt _tide.managed_tables, pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.is_grid_point(mt _tide.managed_tables, pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.key_position(mt _tide.managed_tables, bound text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.key_position(mt _tide.managed_tables, bound text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.key_position(mt _tide.managed_tables, bound text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.list_partitions(mt _tide.managed_tables) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.list_partitions(mt _tide.managed_tables) TO tide_admin;
GRANT ALL ON FUNCTION _tide.list_partitions(mt _tide.managed_tables) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.load_managed_table(parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.load_managed_table(parent regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.load_managed_table(parent regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.local_position(mt _tide.managed_tables, local_time timestamp without time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.local_position(mt _tide.managed_tables, local_time timestamp without time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.local_position(mt _tide.managed_tables, local_time timestamp without time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.lock_key(name text, object oid) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.lock_key(name text, object oid) TO tide_admin;
GRANT ALL ON FUNCTION _tide.lock_key(name text, object oid) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.log_action(run_id bigint, parent regclass, action text, partition text, outcome text, rows bigint, started timestamp with time zone, sqlstate text, message text, detail text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.log_action(run_id bigint, parent regclass, action text, partition text, outcome text, rows bigint, started timestamp with time zone, sqlstate text, message text, detail text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.log_action(run_id bigint, parent regclass, action text, partition text, outcome text, rows bigint, started timestamp with time zone, sqlstate text, message text, detail text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.maintain_table(parent regclass, as_of timestamp with time zone, run_id bigint, OUT outcome text, OUT partitions_created integer, OUT rows_moved bigint, OUT partitions_expired integer, OUT message text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.maintain_table(parent regclass, as_of timestamp with time zone, run_id bigint, OUT outcome text, OUT partitions_created integer, OUT rows_moved bigint, OUT partitions_expired integer, OUT message text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.maintain_table(parent regclass, as_of timestamp with time zone, run_id bigint, OUT outcome text, OUT partitions_created integer, OUT rows_moved bigint, OUT partitions_expired integer, OUT message text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.next_due_at(mt _tide.managed_tables, as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.next_due_at(mt _tide.managed_tables, as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.next_due_at(mt _tide.managed_tables, as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.next_missing_slot(mt _tide.managed_tables, from_pos bigint, through_pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_cron_period(schedule text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_cron_period(schedule text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_cron_period(schedule text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_cron_state(OUT cron_loaded boolean, OUT cron_database text, OUT cron_visible boolean, OUT job_name text, OUT jobid bigint, OUT schedule text, OUT active boolean, OUT last_status text, OUT last_start timestamp with time zone, OUT last_end timestamp with time zone, OUT last_message text, OUT last_failed_at timestamp with time zone, OUT last_failed_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_cron_state(OUT cron_loaded boolean, OUT cron_database text, OUT cron_visible boolean, OUT job_name text, OUT jobid bigint, OUT schedule text, OUT active boolean, OUT last_status text, OUT last_start timestamp with time zone, OUT last_end timestamp with time zone, OUT last_message text, OUT last_failed_at timestamp with time zone, OUT last_failed_message text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_cron_state(OUT cron_loaded boolean, OUT cron_database text, OUT cron_visible boolean, OUT job_name text, OUT jobid bigint, OUT schedule text, OUT active boolean, OUT last_status text, OUT last_start timestamp with time zone, OUT last_end timestamp with time zone, OUT last_message text, OUT last_failed_at timestamp with time zone, OUT last_failed_message text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_default_rows(default_partition regclass, cap bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_default_rows(default_partition regclass, cap bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_default_rows(default_partition regclass, cap bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_explain(query text, path text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_explain(query text, path text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_explain(query text, path text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_health(as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_health(as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_health(as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_partitions() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_partitions() TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_partitions() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_recommendations(as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_recommendations(as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_recommendations(as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_strip_sql(query text) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_strip_sql(query text) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_strip_sql(query text) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.obs_tables(as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.obs_tables(as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.obs_tables(as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.parse_control_value(value text, control_type regtype, what text, every_interval interval, every_int bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.parse_control_value(value text, control_type regtype, what text, every_interval interval, every_int bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.parse_control_value(value text, control_type regtype, what text, every_interval interval, every_int bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.partition_bounds(partition regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.partition_bounds(partition regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.partition_bounds(partition regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.partition_name(mt _tide.managed_tables, lower_pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.partition_name(mt _tide.managed_tables, lower_pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.partition_name(mt _tide.managed_tables, lower_pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.position_bound(mt _tide.managed_tables, pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.position_bound(mt _tide.managed_tables, pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.position_bound(mt _tide.managed_tables, pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.position_local(mt _tide.managed_tables, pos bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.position_local(mt _tide.managed_tables, pos bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.position_local(mt _tide.managed_tables, pos bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.prune_cron_history(as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.prune_cron_history(as_of timestamp with time zone) TO tide_admin;
GRANT ALL ON FUNCTION _tide.prune_cron_history(as_of timestamp with time zone) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.record_catalog() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.record_catalog() TO tide_admin;
GRANT ALL ON FUNCTION _tide.record_catalog() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_capture() FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_capture() TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_capture() TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[], max_rows bigint, OUT rows bigint, OUT next_key text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[], max_rows bigint, OUT rows bigint, OUT next_key text[]) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_copy(target regclass, partition regclass, key name[], last_key text[], max_rows bigint, OUT rows bigint, OUT next_key text[]) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_detach_locked(parent regclass, batch_rows integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_detach_locked(parent regclass, batch_rows integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_detach_locked(parent regclass, batch_rows integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_finish_locked(parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_finish_locked(parent regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_finish_locked(parent regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_locked(parent regclass, mode text, batch_rows integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_locked(parent regclass, mode text, batch_rows integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_locked(parent regclass, mode text, batch_rows integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_preflight(parent regclass, batch_rows integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_preflight(parent regclass, batch_rows integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_preflight(parent regclass, batch_rows integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_replay(parent regclass, target regclass, key name[], max_rows bigint) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_start(parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_start(parent regclass) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_start(parent regclass) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_step(parent regclass, batch_rows integer) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_step(parent regclass, batch_rows integer) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_step(parent regclass, batch_rows integer) TO tide_monitor;
REVOKE ALL ON FUNCTION _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb) TO tide_admin;
GRANT ALL ON FUNCTION _tide.unconvert_swap_locked(parent regclass, target regclass, idx_map jsonb) TO tide_monitor;
REVOKE ALL ON FUNCTION tide.archive_checksum(tbl regclass, control name) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.archive_checksum(tbl regclass, control name) TO tide_admin;
REVOKE ALL ON FUNCTION tide.claim_archive(worker text, only_archive bigint, skip bigint[]) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.claim_archive(worker text, only_archive bigint, skip bigint[]) TO tide_admin;
REVOKE ALL ON FUNCTION tide.complete_archive(archive_id bigint, manifest jsonb, drop_partition boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.complete_archive(archive_id bigint, manifest jsonb, drop_partition boolean) TO tide_admin;
REVOKE ALL ON PROCEDURE tide.convert(IN source regclass, IN control name, IN every text, IN premake integer, IN keep text, IN on_expire text, IN time_zone text, IN default_partition boolean, IN dry_run boolean) FROM PUBLIC;
GRANT ALL ON PROCEDURE tide.convert(IN source regclass, IN control name, IN every text, IN premake integer, IN keep text, IN on_expire text, IN time_zone text, IN default_partition boolean, IN dry_run boolean) TO tide_admin;
REVOKE ALL ON FUNCTION tide.create_partitions(parent regclass, through text) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.create_partitions(parent regclass, through text) TO tide_admin;
REVOKE ALL ON PROCEDURE tide.drain_default(IN parent regclass, IN batch_rows integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE tide.drain_default(IN parent regclass, IN batch_rows integer) TO tide_admin;
REVOKE ALL ON FUNCTION tide.fail_archive(archive_id bigint, error text) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.fail_archive(archive_id bigint, error text) TO tide_admin;
REVOKE ALL ON FUNCTION tide.manage(parent regclass, control name, every text, premake integer, keep text, on_expire text, start_at text, time_zone text, default_partition boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.manage(parent regclass, control name, every text, premake integer, keep text, on_expire text, start_at text, time_zone text, default_partition boolean) TO tide_admin;
REVOKE ALL ON FUNCTION tide.mark_archive_exported(archive_id bigint, target_uri text, file_bytes bigint, file_sha256 text) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.mark_archive_exported(archive_id bigint, target_uri text, file_bytes bigint, file_sha256 text) TO tide_admin;
REVOKE ALL ON FUNCTION tide.partitions_scanned(query text, path text) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.partitions_scanned(query text, path text) TO tide_admin;
REVOKE ALL ON FUNCTION tide.release_archive(archive_id bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.release_archive(archive_id bigint) TO tide_admin;
REVOKE ALL ON PROCEDURE tide.run_maintenance(IN parent regclass, IN as_of timestamp with time zone) FROM PUBLIC;
GRANT ALL ON PROCEDURE tide.run_maintenance(IN parent regclass, IN as_of timestamp with time zone) TO tide_admin;
REVOKE ALL ON FUNCTION tide.schedule(cron text) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.schedule(cron text) TO tide_admin;
REVOKE ALL ON PROCEDURE tide.split_legacy(IN parent regclass, IN batch_rows integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE tide.split_legacy(IN parent regclass, IN batch_rows integer) TO tide_admin;
REVOKE ALL ON PROCEDURE tide.unconvert(IN parent regclass, IN batch_rows integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE tide.unconvert(IN parent regclass, IN batch_rows integer) TO tide_admin;
REVOKE ALL ON FUNCTION tide.unmanage(parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION tide.unmanage(parent regclass) TO tide_admin;
REVOKE ALL ON FUNCTION tide.unschedule() FROM PUBLIC;
GRANT ALL ON FUNCTION tide.unschedule() TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.archives TO tide_admin;
GRANT USAGE ON SEQUENCE _tide.archives_archive_id_seq TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.catalog_objects TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.detached TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.installation TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.legacy TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.log TO tide_admin;
GRANT USAGE ON SEQUENCE _tide.log_log_id_seq TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.pgmigrations TO tide_admin;
GRANT USAGE ON SEQUENCE _tide.pgmigrations_id_seq TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.runs TO tide_admin;
GRANT USAGE ON SEQUENCE _tide.runs_run_id_seq TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.settings TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.unconvert_changes TO tide_admin;
GRANT USAGE ON SEQUENCE _tide.unconvert_changes_change_id_seq TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.unconvert_progress TO tide_admin;
GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE _tide.unconverts TO tide_admin;
GRANT SELECT ON TABLE tide.archives TO tide_admin;
GRANT SELECT ON TABLE tide.archives TO tide_monitor;
GRANT SELECT,UPDATE ON TABLE tide.config TO tide_admin;
GRANT SELECT ON TABLE tide.config TO tide_monitor;
GRANT SELECT ON TABLE tide.health TO tide_admin;
GRANT SELECT ON TABLE tide.health TO tide_monitor;
GRANT SELECT ON TABLE tide.maintenance_log TO tide_admin;
GRANT SELECT ON TABLE tide.maintenance_log TO tide_monitor;
GRANT SELECT ON TABLE tide.partitions TO tide_admin;
GRANT SELECT ON TABLE tide.partitions TO tide_monitor;
GRANT SELECT ON TABLE tide.recommendations TO tide_admin;
GRANT SELECT ON TABLE tide.recommendations TO tide_monitor;
GRANT SELECT ON TABLE tide.tables TO tide_admin;
GRANT SELECT ON TABLE tide.tables TO tide_monitor;
