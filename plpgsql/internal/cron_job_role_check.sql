-- Whose pgtide's pg_cron job is: pg_cron shows a role only the jobs it scheduled (a superuser all of
-- them), so pgtide records the scheduler's role and refuses what would act on a job it cannot see.

create or replace function _tide.cron_job_role_check(action text, acting_role name, acting_superuser boolean)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  owner text := (select s.value from _tide.settings s where s.name = 'cron_job_role');
begin
  if owner is null or owner = acting_role or acting_superuser then
    return owner;
  end if;
  raise exception using errcode = 'object_not_in_prerequisite_state',
    message = case action
                when 'schedule' then format('cannot schedule maintenance of database %s as role %s: its pg_cron job %s is scheduled by role %s, and a second job would run beside it',
                                            current_database(), acting_role, _tide.cron_job_name(), owner)
                else format('cannot unschedule maintenance of database %s as role %s: its pg_cron job %s was scheduled by role %s, whose jobs role %s does not see',
                            current_database(), acting_role, _tide.cron_job_name(), owner, acting_role) end,
    detail = 'pg_cron shows each role only the jobs it scheduled; a superuser sees them all.',
    hint = format('As %I, or as a superuser, run %s%s  (a superuser''s also forgets a job removed by hand)',
                  owner,
                  case when (select l.database from _tide.cron_location() l) is distinct from current_database()
                       then 'pgtide unschedule --database-url <this database> --cron-database-url <pg_cron''s database>;'
                       else 'select tide.unschedule();' end,
                  case when action = 'schedule' then ' then schedule again.' else '' end);
end
$fn$;

comment on function _tide.cron_job_role_check(text, name, boolean) is
  'Raises 55000 naming the role when ACTING_ROLE (not a superuser) would schedule or unschedule pgtide''s pg_cron job that another role scheduled (recorded in _tide.settings cron_job_role), whose jobs pg_cron does not show it; returns the recorded role otherwise.';
