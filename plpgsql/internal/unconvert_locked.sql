-- Runs one of tide.unconvert's swaps under ACCESS EXCLUSIVE on the partitioned table and all its
-- partitions, taken under the table's lock_timeout and retried with jittered backoff
-- (_tide.execute_with_retry), so writers wait at most one lock_timeout per attempt.

create or replace function _tide.unconvert_locked(parent regclass, mode text, batch_rows integer default 1)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt       _tide.managed_tables := _tide.load_existing_managed_table(parent);
  attempts integer;
  old_lt   text := current_setting('lock_timeout');
  t0       timestamptz;
  result   jsonb;
begin
  if mode not in ('detach', 'finish') then
    raise exception using errcode = '22023', message = format('unknown unconvert mode %L for table %s', mode, parent),
      detail = 'The mode says which of tide.unconvert''s steps runs under the lock: detach (its detach path) or finish (the end of its copy path).',
      hint = 'Use ''detach'' or ''finish''.';
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  begin
    -- recurses to the partitions
    attempts := _tide.execute_with_retry(format('lock table %s in access exclusive mode', parent), mt.lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s for the unconvert swap within %s, %s times', parent, mt.lock_timeout, mt.lock_retries + 1),
      detail = 'Long transactions or queries hold locks on the table or its partitions. Nothing was swapped; copied rows are kept.',
      hint = 'CALL tide.unconvert again when the table is quieter (see pg_locks / pg_stat_activity), or raise tide.config.lock_timeout.';
  end;
  t0 := clock_timestamp();
  result := case mode when 'detach' then _tide.unconvert_detach_locked(parent, batch_rows)
                      else _tide.unconvert_finish_locked(parent) end;
  perform set_config('lock_timeout', old_lt, true);
  return result || jsonb_build_object('attempts', attempts,
    'lock_ms', round((extract(epoch from clock_timestamp() - t0) * 1000)::numeric, 1));
end
$fn$;

comment on function _tide.unconvert_locked(regclass, text, integer) is
  'tide.unconvert''s swap (MODE detach: _tide.unconvert_detach_locked; finish: _tide.unconvert_finish_locked) under ACCESS EXCLUSIVE on PARENT and its partitions, lock_timeout and lock_retries from tide.config, jittered backoff (_tide.execute_with_retry).';
