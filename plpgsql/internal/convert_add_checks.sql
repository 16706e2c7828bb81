-- Step 1 of tide.convert: the CHECK constraints that will prove the legacy partition's bounds,
-- added NOT VALID (a brief lock, under lock_timeout with jittered retries) so no row is read yet.

create or replace function _tide.convert_add_checks(
  source regclass, control name, control_type regtype, lower_bound text, upper_bound text,
  lock_timeout interval default '100 milliseconds', lock_retries integer default 10)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  want_lo text := format('CHECK ((%I >= %L::%s))', control, lower_bound, control_type);
  want_hi text := format('CHECK ((%I < %L::%s))', control, upper_bound, control_type);
  old_lt text := current_setting('lock_timeout');
  ok_lo boolean;
  ok_hi boolean;
begin
  perform set_config('lock_timeout', _tide.lock_timeout_setting(lock_timeout), true);
  begin
    perform _tide.execute_with_retry(format('lock table %s in access exclusive mode', source), lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s to add the conversion CHECK within %s, %s times', source, lock_timeout, lock_retries + 1),
      detail = 'Long transactions or queries hold locks on the table.',
      hint = 'Retry when the table is quieter (see pg_locks / pg_stat_activity); nothing was changed.';
  end;
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
  perform set_config('lock_timeout', old_lt, true);
end
$fn$;

comment on function _tide.convert_add_checks(regclass, name, regtype, text, text, interval, integer) is
  'tide.convert step 1: adds CHECK tide_legacy_lower/upper NOT VALID on SOURCE (ACCESS EXCLUSIVE for milliseconds, under lock_timeout, retried with jittered backoff).';
