-- The axis position before which a partition's whole range is older than as_of - keep (Rule 4), for
-- a keep given as an interval. Its hours, minutes and seconds are elapsed time, taken off as_of
-- itself, so '24 hours' is 24 real hours even on the night the clocks go forward (on the wall clock
-- it would be 23, and retention would drop an hour of rows younger than keep) — for a timestamp key
-- too, whose values are wall-clock times in the table's zone; its months and days are then taken on
-- the table's calendar (a month back from the 31st, a day back across a DST change).

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
  -- as_of minus a pure time interval is exact whatever the session's TimeZone
  if mt.control_type = 'timestamptz'::regtype then
    -- positions are instants: no round trip through the wall clock, which reads a time of the hour
    -- repeated when the clocks go back as its second occurrence and would move the cutoff an hour
    -- late; with a calendar part, the earliest instant showing the wall-clock result
    return (extract(epoch from case when calendar = interval '0' then as_of - mt.keep_interval
                                    else _tide.local_instant(mt, ((as_of - (mt.keep_interval - calendar)) at time zone mt.time_zone) - calendar)
                               end) * 1000000)::bigint;
  end if;
  -- a timestamp or date key's positions are wall-clock times of the table's zone
  return _tide.local_position(mt, ((as_of - (mt.keep_interval - calendar)) at time zone mt.time_zone) - calendar);
end
$fn$;

comment on function _tide.retention_cutoff(_tide.managed_tables, timestamptz) is
  'Axis position of as_of - keep for a managed table whose keep is an interval (NULL otherwise): the time of day as elapsed time off AS_OF, then months and days on the table''s calendar (for timestamp keys too). A partition whose upper bound is at or below it has expired.';
