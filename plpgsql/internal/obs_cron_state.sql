-- What pg_cron knows about pgtide's job in this database, read without failing when pg_cron is not
-- loaded, or its schema lives in another database (cron.database_name), or we may not read it (nor,
-- as a role other than a superuser, the setting cron.database_name itself).

create or replace function _tide.obs_cron_state(
  out cron_loaded boolean, out cron_database text, out cron_visible boolean,
  out job_name text, out jobid bigint, out schedule text, out active boolean,
  out last_status text, out last_start timestamptz, out last_end timestamptz, out last_message text,
  out last_failed_at timestamptz, out last_failed_message text)
language plpgsql stable
security definer
set search_path = pg_catalog, pg_temp
as $fn$
declare
  loc record;
begin
  job_name := _tide.cron_job_name();
  loc := _tide.cron_location();
  cron_loaded := loc.loaded;
  -- cron_database is the text obs_health prints after 'pg_cron lives in database': when this role may
  -- not read the superuser-only setting, it says so instead of naming a database
  cron_database := coalesce(loc.database,
                            case when not loc.setting_readable
                                   then format('unknown to role %s (cron.database_name is not readable)', current_user) end);
  -- only where the role may use schema cron: to_regclass raises, rather than answering NULL, elsewhere
  cron_visible := false;
  if loc.schema_usable then
    cron_visible := to_regclass('cron.job') is not null and to_regclass('cron.job_run_details') is not null;
  end if;
  if not cron_visible then
    return;
  end if;
  cron_visible := has_table_privilege('cron.job', 'select') and has_table_privilege('cron.job_run_details', 'select');
  if not cron_visible then
    return;
  end if;
  execute $q$select j.jobid, j.schedule, j.active from cron.job j
              where j.jobname = $1 and j.database = current_database()
              order by j.jobid desc limit 1$q$
     into jobid, schedule, active using job_name;
  if jobid is null then
    return;
  end if;
  execute $q$select d.status, d.start_time, d.end_time, d.return_message from cron.job_run_details d
              where d.jobid = $1 and d.status in ('succeeded', 'failed')
              order by d.start_time desc nulls last, d.runid desc limit 1$q$
     into last_status, last_start, last_end, last_message using jobid;
  if last_status = 'failed' then
    last_failed_at := last_start;
    last_failed_message := last_message;
  end if;
end
$fn$;

comment on function _tide.obs_cron_state() is
  'pgtide''s pg_cron job as seen from this database: whether pg_cron is loaded and its schema visible here, the database it runs jobs from (a note that it is unknown when the role may not read cron.database_name), the job, its schedule and its latest finished run. Reads cron.job and cron.job_run_details only; never fails when they are absent. SECURITY DEFINER so that tide_monitor can read the views without privileges on _tide; read-only.';
