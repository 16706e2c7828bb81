-- Validates every write to _tide.managed_tables (in practice: UPDATEs of tide.config), so a DBA's
-- typo is refused with a hint instead of breaking the next maintenance run.

create or replace function _tide.check_managed_table()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  parsed record;
  same   _tide.managed_tables;
  old_lt text := current_setting('lock_timeout');
begin
  -- maintenance's own bookkeeping (when the table is next due, the listing it keeps) is not a
  -- settings change; compared as rows (every column has an equality operator), which is cheaper
  -- than through jsonb
  if tg_op = 'UPDATE' then
    same := old;
    same.next_due_at := new.next_due_at;
    same.due_signature := new.due_signature;
    same.listing_key := new.listing_key;
    same.listing_partitions := new.listing_partitions;
    same.listing_lower := new.listing_lower;
    same.listing_upper := new.listing_upper;
    if same is not distinct from new then
      return new;
    end if;
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
      message = format('on_expire %s for %s is not known', coalesce(quote_literal(new.on_expire), 'NULL'), new.parent),
      detail = 'on_expire says what retention does with a partition older than keep: drop it, detach it, or archive it and then drop it.',
      hint = 'Use ''drop'', ''detach'' or ''archive''.';
  end if;
  if new.enabled is null then
    raise exception using errcode = '22023',
      message = format('enabled of %s must not be NULL', new.parent),
      detail = 'enabled says whether maintenance creates and retires partitions of the table; NULL says neither.',
      hint = 'Use true, or false to pause maintenance of the table.';
  end if;
  if new.default_partition is null then
    raise exception using errcode = '22023',
      message = format('default_partition of %s must not be NULL', new.parent),
      detail = 'default_partition says whether the table keeps a default partition for rows outside every partition; NULL says neither.',
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
      detail = 'Maintenance retries a statement that could not have its lock this many times, with backoff, before it skips the table.',
      hint = 'Use a value between 0 and 100.';
  end if;
  -- registering a table (tide.manage does it through here too) is for its owner: maintenance later
  -- creates and drops its partitions as whoever runs the job, so a row inserted by anyone else
  -- would hand them that power over a table they may not even read
  if tg_op = 'INSERT' and not exists (select from pg_class c where c.oid = new.parent
                                        and pg_has_role(current_user, c.relowner, 'USAGE')) then
    raise exception using errcode = '42501',
      message = format('%s cannot be put under pgtide by role %I', new.parent, current_user),
      detail = 'Only the owner of a table (or a member of its owning role) may have pgtide manage it.',
      hint = 'Call tide.manage() as the table''s owner.';
  end if;
  if new.detach_schema is not null
     and (new.detach_schema in ('tide', '_tide', 'pg_catalog', 'information_schema') or new.detach_schema ~ '^pg_(toast|temp)') then
    raise exception using errcode = '22023',
      message = format('detach_schema %I for %s is not allowed', new.detach_schema, new.parent),
      detail = 'pgtide''s own schemas and the system schemas cannot hold detached partitions: uninstalling pgtide drops its schemas with everything in them.',
      hint = 'Use a schema of your own, e.g. CREATE SCHEMA detached; or set detach_schema to NULL.';
  end if;
  if new.detach_schema is not null and not exists (select from pg_namespace where nspname = new.detach_schema) then
    raise exception using errcode = '3F000',
      message = format('detach_schema %I for %s does not exist', new.detach_schema, new.parent),
      detail = 'Retention with on_expire => ''detach'' moves the detached partitions of the table into this schema.',
      hint = 'Create the schema first, or set detach_schema to NULL.';
  end if;
  -- the URIs pgtide archive opens (a file URL of an absolute folder; an S3 bucket and prefix), checked
  -- when the value changes, so that a row holding an older value can still have its other settings changed
  if new.archive_target is not null and (tg_op = 'INSERT' or new.archive_target is distinct from old.archive_target)
     and (new.archive_target !~ '^([fF][iI][lL][eE]:(//([lL][oO][cC][aA][lL][hH][oO][sS][tT])?/|/(?!/))|[sS]3://[a-z0-9][a-z0-9.-]*[a-z0-9](/|$))'
          or new.archive_target ~ '[[:cntrl:]]|[[:space:]]$'      -- a tab, a newline or a trailing space, which the URL parser drops
          or new.archive_target ~ '^[fF][iI][lL][eE]:.*[\\]'       -- a backslash, which it reads as /
          or new.archive_target ~ '[?#]'                          -- a query or fragment, which the exporter drops
          or new.archive_target ~ '%(?![0-9a-fA-F]{2})'           -- a broken %-escape
          or not _tide.is_utf8_escapes(new.archive_target)        -- escapes that are not UTF-8
          or new.archive_target ~* '^file:.*%(2f|5c)') then       -- an escaped / or \ in a file path
    raise exception using errcode = '22023',
      message = format('archive_target %L for %s is not a place pgtide archive writes to', new.archive_target, new.parent),
      detail = 'With on_expire => ''archive'', pgtide archive writes the Parquet archives of this table under archive_target (a file URL of an absolute folder, or an S3 bucket and prefix), and under its --target when archive_target is NULL.',
      hint = 'Use file:///absolute/folder or s3://bucket/prefix, or set archive_target to NULL.';
  end if;
  if new.keep is null then
    new.keep_interval := null; new.keep_int := null;
  elsif tg_op = 'INSERT' or new.keep is distinct from old.keep
        or new.keep_interval is distinct from old.keep_interval or new.keep_int is distinct from old.keep_int then
    select * into parsed from _tide.parse_control_value(new.keep, new.control_type, 'keep', new.parent, new.every_interval, new.every_int);
    new.keep_interval := parsed.as_interval; new.keep_int := parsed.as_int;
  end if;
  -- a disabled table gets no run that would drop its default partition's fence once its cells
  -- exist, so the fence goes now (a moment of ACCESS EXCLUSIVE on the default, under the table's
  -- lock_timeout): left, it would refuse rows of its range for good
  if tg_op = 'UPDATE' and old.enabled and not new.enabled then
    begin
      perform set_config('lock_timeout', _tide.lock_timeout_setting(new.lock_timeout), true);
      perform _tide.drop_fences(new.parent);
      perform set_config('lock_timeout', old_lt, true);
    exception when lock_not_available then
      raise exception using errcode = '55P03',
        message = format('maintenance of %s cannot be disabled now: its default partition is busy', new.parent),
        detail = 'Disabling drops the default partition''s tide_fence_* CHECK, which no run would drop later and which would refuse rows of its range; that needs a moment of ACCESS EXCLUSIVE on the default partition.',
        hint = 'Try again in a moment (pg_locks shows who holds the default partition).';
    end;
  end if;
  -- a settings change makes the table due at the next run without more ado (its due signature would
  -- say so as well, but only after the run's due check had read the table's listing key for it)
  if tg_op = 'UPDATE' then
    new.next_due_at := null;
  end if;
  new.updated_at := now();
  return new;
end
$fn$;

comment on function _tide.check_managed_table() is
  'Trigger: validates premake, keep, on_expire, enabled, lock_timeout, lock_retries, detach_schema and archive_target on every write to _tide.managed_tables; refuses a registration by a role that is not a member of the table''s owner (42501); when maintenance is disabled, drops the default partition''s fences (55P03 when it is busy).';

-- Every column but maintenance's bookkeeping (next_due_at, due_signature, listing_*), which
-- maintenance writes once per table and run: its UPDATE then fires nothing. A new column must be
-- listed here or there (pgTAP engine_listing fails otherwise).
drop trigger if exists managed_tables_check on _tide.managed_tables;
create trigger managed_tables_check
  before insert or update of parent, parent_schema, parent_name, control, control_type, every, every_interval, every_int,
    premake, keep, keep_interval, keep_int, on_expire, time_zone, default_partition, enabled, lock_timeout, lock_retries,
    detach_schema, archive_target, created_at, updated_at
  on _tide.managed_tables
  for each row execute function _tide.check_managed_table();
