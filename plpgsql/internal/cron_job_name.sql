-- The name of pgtide's pg_cron job for a database: the configured name in the database pg_cron lives
-- in, suffixed with '@<database>' for any other, so jobs of several databases never overwrite each other.
-- When this role may not read cron.database_name and pg_cron's extension is not here, pg_cron lives
-- in another database: the suffix is added.

create or replace function _tide.cron_job_name(database name default current_database())
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  select coalesce((select value from _tide.settings where name = 'cron_job_name'), 'pgtide-maintenance')
         -- cron_job_name.database: bare, the name would be cron_location's own database column
         || case when cron_job_name.database = coalesce(l.database, case when l.setting_readable then cron_job_name.database end)
                   then '' else '@' || cron_job_name.database end
    from _tide.cron_location() l;
$fn$;

comment on function _tide.cron_job_name(name) is
  'Name of pgtide''s pg_cron job for DATABASE: the cron_job_name setting, plus @DATABASE when DATABASE is not cron.database_name (or, when that setting is not readable, when pg_cron''s extension is not in this database).';
