-- The first instant at which a managed table's zone shows the wall-clock time LOCAL: at the change
-- back from summer time a wall-clock hour happens twice, and PostgreSQL reads such a time as the
-- second one; a next-due time taken from it would come an hour late.

create or replace function _tide.local_instant(mt _tide.managed_tables, local_time timestamp)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return least(local_time at time zone mt.time_zone,
               ((local_time - interval '1 hour') at time zone mt.time_zone) + interval '1 hour');
end
$fn$;

comment on function _tide.local_instant(_tide.managed_tables, timestamp) is
  'The earliest instant at which the wall clock of the table''s time zone reads LOCAL_TIME (the first of the two when the clocks go back).';
