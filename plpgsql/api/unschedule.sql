-- Removes pgtide's pg_cron job for this database, if there is one. Partitions and settings stay.

create or replace function tide.unschedule()
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  loc     record := _tide.cron_location();
  cron_db text := loc.database;
  here    boolean := false;
  id      bigint;
  n       integer;
begin
  if loc.schema_usable then
    -- pg_cron's extension is created here (cron_location). Asked only then: to_regclass raises,
    -- rather than answering NULL, in a schema the role may not use
    here := to_regclass('cron.job') is not null;
  end if;
  if not here then
    if loc.loaded and cron_db is null then
      raise exception using errcode = 'object_not_in_prerequisite_state',
        message = format('cannot unschedule maintenance of database %s from here: pg_cron runs jobs from another database', current_database()),
        detail = format('Role %s may not read the superuser-only setting cron.database_name, and pg_cron''s extension is not created in %s.',
                        current_user, current_database()),
        hint = format('Connect to pg_cron''s database and run: select cron.unschedule(jobid) from cron.job where jobname = %L and database = %L;  (or: pgtide unschedule --cron-database-url <pg_cron''s database>)',
                      _tide.cron_job_name(), current_database());
    end if;
    if cron_db is not null and cron_db <> current_database() then
      raise exception using errcode = 'object_not_in_prerequisite_state',
        message = format('cannot unschedule maintenance of database %s from here: pg_cron lives in database %s', current_database(), cron_db),
        hint = format('Connect to database %s and run: select cron.unschedule(%L);', cron_db, _tide.cron_job_name());
    end if;
    -- pg_cron's extension here, its schema not usable (a schema cron of the user's is no pg_cron)
    if exists (select from pg_extension where extname = 'pg_cron') then
      raise exception using errcode = 'insufficient_privilege',
        message = format('cannot unschedule maintenance of database %s: role %s may not use schema cron', current_database(), current_user),
        hint = format('As a superuser run: GRANT USAGE ON SCHEMA cron TO %I; then select tide.unschedule();', current_user);
    end if;
    return false;  -- no pg_cron here: nothing is scheduled
  end if;
  if coalesce((select r.rolsuper from pg_roles r where r.rolname = current_user), false) then
    -- a superuser sees every role's job, and removes them all
    execute 'select count(cron.unschedule(jobid))::integer from cron.job where jobname = $1' into n using _tide.cron_job_name();
    delete from _tide.settings s where s.name = 'cron_job_role';
    return n > 0;
  end if;
  execute 'select jobid from cron.job where jobname = $1 and username = current_user order by jobid limit 1'
     into id using _tide.cron_job_name();
  if id is null then
    perform _tide.cron_job_role_check('unschedule', current_user, false);  -- another role's job: refused, naming it
  else
    execute 'select cron.unschedule($1)' using id;
  end if;
  -- the record goes with the job; a role sees all its own jobs, so a record of its own with no job
  -- is one removed by hand
  delete from _tide.settings s where s.name = 'cron_job_role' and s.value = current_user;
  return id is not null;
end
$fn$;

comment on function tide.unschedule() is
  'Removes the pg_cron job that runs pgtide maintenance in this database; returns false when there was none. Idempotent. Raises 55000 naming the role when the job was scheduled by another role, whose jobs pg_cron does not show this one; a superuser removes every role''s job of this database. Raises, with the call to run there, when pg_cron lives in another database (or, when this role may not read cron.database_name, in a database it cannot name).';
