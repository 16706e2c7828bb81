-- The one place pgtide writes to pg_cron: the job that runs CALL tide.run_maintenance() in this
-- database. cron.schedule upserts by job name, so calling it again only changes the schedule.

create or replace function tide.schedule(cron text default '*/10 * * * *')
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  loc      record := _tide.cron_location();
  cron_db  text := loc.database;
  job      text := _tide.cron_job_name();
  local_fn boolean := false;
  id       bigint;
  su       boolean;
begin
  if cron is null or btrim(cron) = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.schedule: the cron schedule is empty',
      detail = 'The schedule says when pg_cron runs CALL tide.run_maintenance() in this database.',
      hint = 'Pass a cron expression in GMT, e.g. select tide.schedule(''*/10 * * * *'');';
  end if;
  if not loc.loaded then
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('cannot schedule maintenance of database %s: pg_cron is not loaded', current_database()),
      detail = 'The setting cron.database_name is unknown, so the pg_cron background worker is not running.',
      hint = 'Add pg_cron to shared_preload_libraries and restart, or run CALL tide.run_maintenance(); from another scheduler every few minutes.';
  end if;
  if cron_db is null then
    -- pg_cron is loaded, this role may not read cron.database_name, and pg_cron's extension is not here
    raise exception using errcode = 'object_not_in_prerequisite_state',
      message = format('cannot schedule maintenance of database %s from here: pg_cron runs jobs from another database', current_database()),
      detail = format('Role %s may not read the superuser-only setting cron.database_name, and pg_cron''s extension (which can only be created in that database) is not created in %s.',
                      current_user, current_database()),
      hint = format('Connect to pg_cron''s database and run: %s  (or: pgtide schedule --database-url <this database> --cron-database-url <pg_cron''s database>)',
                    _tide.cron_schedule_statement(cron));
  end if;
  if cron_db = current_database() and not loc.schema_usable and exists (select from pg_extension where extname = 'pg_cron') then
    raise exception using errcode = 'insufficient_privilege',
      message = format('cannot schedule maintenance of database %s: role %s may not use schema cron', current_database(), current_user),
      detail = 'pg_cron''s functions live in schema cron, which grants no USAGE to other roles by default.',
      hint = format('As a superuser run: GRANT USAGE ON SCHEMA cron TO %I; then select tide.schedule();', current_user);
  end if;
  if loc.schema_usable then
    -- asked only here: to_regprocedure raises, rather than answering NULL, in a schema the role may not use
    local_fn := to_regprocedure('cron.schedule(text,text,text)') is not null;
  end if;
  if not local_fn then
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
  -- the schedule is checked before pg_cron is asked (with pg_cron elsewhere, the HINT above is built
  -- by _tide.cron_schedule_statement, which checks it first)
  perform _tide.check_cron_schedule(cron);
  -- one job, one role: another role's job is refused (its jobs are hidden from this one), or, for a
  -- superuser, replaced
  su := coalesce((select r.rolsuper from pg_roles r where r.rolname = current_user), false);
  perform _tide.cron_job_role_check('schedule', current_user, su);
  if su then
    execute 'select count(cron.unschedule(jobid)) from cron.job where jobname = $1 and username <> current_user' using job;
  end if;
  begin
    execute 'select cron.schedule($1, $2, $3)' into id using job, cron, 'CALL tide.run_maintenance()';
  exception when invalid_parameter_value then
    -- what the check lets through and this pg_cron does not take (e.g. 'N seconds' before 1.5)
    raise exception using errcode = 'invalid_parameter_value',
      message = format('tide.schedule: pg_cron does not take the schedule %L', cron),
      detail = format('pg_cron says: %s', sqlerrm),
      hint = 'Use a five-field cron schedule in GMT, e.g. ''*/10 * * * *''.';
  end;
  -- the job is its scheduler's: pg_cron shows it to that role (and superusers) only, and unschedule
  -- and uninstall say whose it is when they cannot see it
  insert into _tide.settings (name, value) values ('cron_schedule', cron), ('cron_job_role', current_user)
  on conflict (name) do update set value = excluded.value;
  return id;
end
$fn$;

comment on function tide.schedule(text) is
  'Creates or updates the pg_cron job that runs CALL tide.run_maintenance() in this database on the cron schedule CRON (pg_cron 1.4 reads schedules in GMT), and returns its jobid. Idempotent. When pg_cron lives in another database (cron.database_name, or, for a role that may not read that setting, any database but this one when pg_cron''s extension is not here) it raises, with the exact cron.schedule_in_database(...) call to run there in its HINT.';
