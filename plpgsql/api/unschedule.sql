-- Removes pgtide's pg_cron job for this database, if there is one. Partitions and settings stay.

create or replace function tide.unschedule()
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
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
$fn$;

comment on function tide.unschedule() is
  'Removes the pg_cron job that runs pgtide maintenance in this database; returns false when there was none. Idempotent. Raises, with the call to run there, when pg_cron lives in another database.';
