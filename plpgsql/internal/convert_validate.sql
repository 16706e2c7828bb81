-- Step 2 of tide.convert: VALIDATE the bound CHECKs. It reads the whole table but holds only
-- SHARE UPDATE EXCLUSIVE, so application reads and writes carry on; the lock is waited for under
-- lock_timeout with jittered retries, as every other step's.

create or replace function _tide.convert_validate(
  source regclass, lock_timeout interval default '100 milliseconds', lock_retries integer default 10)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  old_lt text := current_setting('lock_timeout');
begin
  perform set_config('lock_timeout', _tide.lock_timeout_setting(lock_timeout), true);
  begin
    -- the lock first (a retry then costs no read), held by the VALIDATEs that follow
    perform _tide.execute_with_retry(format('lock table only %s in share update exclusive mode', source), lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s to validate the conversion CHECKs within %s, %s times', source, lock_timeout, lock_retries + 1),
      detail = 'A session holds a lock on the table that conflicts with SHARE UPDATE EXCLUSIVE (CREATE INDEX, VACUUM, ANALYZE, ALTER TABLE, or an explicit LOCK TABLE).',
      hint = 'Run tide.convert again when the table is quieter (see pg_locks / pg_stat_activity).';
  end;
  execute format('alter table %s validate constraint tide_legacy_lower', source);
  execute format('alter table %s validate constraint tide_legacy_upper', source);
  perform set_config('lock_timeout', old_lt, true);
exception when check_violation then
  raise exception using errcode = '23514',
    message = format('rows of table %s fall outside the bounds chosen for its legacy partition', source),
    detail = 'Rows were written with control values outside the range read at the start of the conversion.',
    hint = 'Run tide.convert again: it recomputes the bounds.';
end
$fn$;

comment on function _tide.convert_validate(regclass, interval, integer) is
  'tide.convert step 2: VALIDATEs the bound CHECKs of SOURCE (SHARE UPDATE EXCLUSIVE, taken under lock_timeout and retried with jittered backoff: a full read, writes continue). Raises 55P03 when the lock could not be had.';
