-- Step 3 of tide.convert, the only step that blocks the application: in one transaction, rename
-- the table, create the partitioned table in its place with its shape, attach the old table as
-- the legacy partition (proven by the validated CHECKs, so nothing is read), adopt its indexes,
-- and register with pgtide. The lock is taken under lock_timeout and retried; the swap then runs once.

create or replace function _tide.convert_swap(plan jsonb, lock_timeout interval default '100 milliseconds',
                                              lock_retries integer default 10)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set intervalstyle = 'postgres'
as $fn$
declare
  source    regclass := (plan->>'source')::regclass;
  attempts  integer;
  old_lt    text := current_setting('lock_timeout');
  t0        timestamptz;
  result    jsonb;
begin
  perform set_config('lock_timeout', _tide.lock_timeout_setting(lock_timeout), true);
  begin
    attempts := _tide.execute_with_retry(format('lock table %s in access exclusive mode', source), lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s for the conversion swap within %s, %s times', source, lock_timeout, lock_retries + 1),
      detail = 'Long transactions or queries hold locks on the table.',
      hint = 'Run tide.convert again when the table is quieter (see pg_locks / pg_stat_activity).';
  end;
  t0 := clock_timestamp();
  result := _tide.convert_swap_locked(plan);
  perform set_config('lock_timeout', old_lt, true);
  return result || jsonb_build_object('attempts', attempts,
    'swap_ms', round((extract(epoch from clock_timestamp() - t0) * 1000)::numeric, 1));
end
$fn$;

comment on function _tide.convert_swap(jsonb, interval, integer) is
  'tide.convert step 3: the swap (see _tide.convert_swap_locked) with ACCESS EXCLUSIVE on the source taken under lock_timeout and retried with jittered backoff (_tide.execute_with_retry); held for milliseconds.';
