-- Keeps cron.job_run_details from growing without bound with our job's rows (pg_cron never prunes
-- it). Called by maintenance; does nothing when pg_cron is not visible here or we may not delete.

create or replace function _tide.prune_cron_history(as_of timestamptz default now())
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  keep    interval := coalesce((select value::interval from _tide.settings where name = 'cron_history_retention'), '7 days');
  job     text;
  removed bigint;
begin
  -- to_regclass raises, rather than answering NULL, in a schema the role may not use
  if not (select l.schema_usable from _tide.cron_location() l) then
    return 0;
  end if;
  if to_regclass('cron.job_run_details') is null
     or not has_table_privilege('cron.job_run_details', 'delete')
     or not has_table_privilege('cron.job', 'select') then
    return 0;
  end if;
  job := _tide.cron_job_name();
  -- static SQL, planned when first reached (only once cron.job_run_details exists, see above) and
  -- then cached for the session: maintenance runs this in every run that has work
  delete from cron.job_run_details d
   using cron.job j
   where j.jobid = d.jobid and j.jobname = job and j.database = current_database()
     and d.end_time < as_of - keep;
  get diagnostics removed = row_count;
  return removed;
end
$fn$;

comment on function _tide.prune_cron_history(timestamptz) is
  'Deletes cron.job_run_details rows of pgtide''s own job that ended before AS_OF minus the cron_history_retention setting (default 7 days); returns how many. 0 when pg_cron is not visible here (no schema cron, or no USAGE on it) or the role may not delete.';
