-- The statement that schedules this database's maintenance from pg_cron's own database, for when
-- pg_cron lives elsewhere: tide.schedule puts it in its HINT, and `pgtide schedule` runs it there.
-- The schedule is checked first, so a bad one is refused here with a DETAIL, not there by pg_cron.

create or replace function _tide.cron_schedule_statement(cron text default '*/10 * * * *')
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  perform _tide.check_cron_schedule(cron);
  return format('select cron.schedule_in_database(%L, %L, %L, %L);',
                _tide.cron_job_name(), cron, 'CALL tide.run_maintenance()', current_database());
end
$fn$;

comment on function _tide.cron_schedule_statement(text) is
  'The cron.schedule_in_database(...) call that schedules CALL tide.run_maintenance() in this database, to be run in the database named by cron.database_name; 22023 (from _tide.check_cron_schedule) when CRON is not a schedule pg_cron takes.';
