-- The axis position before which a partition's whole range is older than as_of - keep (Rule 4), for
-- a keep given as an interval. Its months and days are taken on the table's calendar (a month back
-- from the 31st, a day back across a DST change, in the table's zone); its hours, minutes and
-- seconds are elapsed time, so '24 hours' is 24 real hours even on the night the clocks go forward
-- (on the wall clock it would be 23, and retention would drop an hour of rows younger than keep).

create or replace function _tide.retention_cutoff(mt _tide.managed_tables, as_of timestamptz)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  calendar interval;
begin
  if mt.keep_interval is null then
    return null;
  end if;
  calendar := _tide.calendar_part(mt.keep_interval);
  return _tide.local_position(mt, (as_of at time zone mt.time_zone) - calendar)
         - (extract(epoch from mt.keep_interval - calendar) * 1000000)::bigint;
end
$fn$;

comment on function _tide.retention_cutoff(_tide.managed_tables, timestamptz) is
  'Axis position of as_of - keep for a managed table whose keep is an interval (NULL otherwise): months and days on the table''s calendar, the time of day as elapsed time. A partition whose upper bound is at or below it has expired.';
