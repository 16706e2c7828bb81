-- The name of pgtide's pg_cron job for a database: the configured name in the database pg_cron lives
-- in, suffixed with '@<database>' for any other, so jobs of several databases never overwrite each other.

create or replace function _tide.cron_job_name(database name default current_database())
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  select coalesce((select value from _tide.settings where name = 'cron_job_name'), 'pgtide-maintenance')
         || case when database = coalesce(current_setting('cron.database_name', true), database) then '' else '@' || database end;
$fn$;

comment on function _tide.cron_job_name(name) is
  'Name of pgtide''s pg_cron job for DATABASE: the cron_job_name setting, plus @DATABASE when DATABASE is not cron.database_name.';
