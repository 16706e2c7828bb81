-- When tide.convert fails after it added its bound CHECKs (a VALIDATE that finds rows outside
-- them, a swap that cannot lock the table or fails), it drops them again: left on the plain table,
-- tide_legacy_upper would refuse every row written once the clock passes the upper bound.

create or replace function _tide.convert_drop_checks(
  source regclass, lock_timeout interval default '100 milliseconds', lock_retries integer default 10)
returns boolean
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  old_lt text := current_setting('lock_timeout');
begin
  -- only a plain table still carrying them: after a swap they live on as the legacy partition's
  if not exists (select from pg_class where oid = source and relkind = 'r' and not relispartition)
     or not exists (select from pg_constraint where conrelid = source
                       and conname in ('tide_legacy_lower', 'tide_legacy_upper')) then
    return true;
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(lock_timeout), true);
  begin
    perform _tide.execute_with_retry(format('lock table %s in access exclusive mode', source), lock_retries);
  exception when lock_not_available or query_canceled then
    -- a second cancel while it waits: the CHECKs stay, and tide.convert's error says so and how to drop them
    perform set_config('lock_timeout', old_lt, true);
    return false;
  end;
  execute format('alter table %s drop constraint if exists tide_legacy_lower, drop constraint if exists tide_legacy_upper',
                 source);
  perform set_config('lock_timeout', old_lt, true);
  return true;
end
$fn$;

comment on function _tide.convert_drop_checks(regclass, interval, integer) is
  'tide.convert after a failed VALIDATE or swap: drops the CHECKs tide_legacy_lower/upper from plain table SOURCE again (ACCESS EXCLUSIVE for milliseconds, under lock_timeout, retried with jittered backoff); returns false, changing nothing, when the lock could not be had.';
