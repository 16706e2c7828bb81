-- Second step of the default-partition fence, in a transaction of its own: validate it under SHARE
-- UPDATE EXCLUSIVE on the default, or drop it when the default holds rows of its range.

create or replace function _tide.validate_fence(mt _tide.managed_tables, fence name)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  dflt regclass;
begin
  -- 'validated'; 'dropped' when the default holds rows of the range (creation then moves them as
  -- usual); 'invalid' when, on top of that, the drop timed out: the NOT VALID fence stays (it keeps
  -- refusing rows of a range about to be created) until the next run replaces it
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = mt.parent;
  if dflt is null then
    return null;
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  begin
    perform _tide.execute_with_retry(format('alter table %s validate constraint %I', dflt, fence), mt.lock_retries);
    return 'validated';
  exception when check_violation then
    null;
  end;
  begin
    perform _tide.execute_with_retry(format('alter table %s drop constraint if exists %I', dflt, fence), 0);
    return 'dropped';
  exception when lock_not_available then
    return 'invalid';
  end;
end
$fn$;

comment on function _tide.validate_fence(_tide.managed_tables, name) is
  'Validates a fence added by _tide.fence_default (SHARE UPDATE EXCLUSIVE on the default); drops it when the default holds rows of its range. Returns validated, dropped or invalid.';
