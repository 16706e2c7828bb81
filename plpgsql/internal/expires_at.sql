-- The instant at which a partition ending at UPPER_POS has expired (its whole range older than keep):
-- the inverse of _tide.retention_cutoff, computed in the table's zone, never the session's TimeZone.

create or replace function _tide.expires_at(mt _tide.managed_tables, upper_pos bigint)
returns timestamptz
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  calendar interval;
begin
  if mt.keep_interval is null or upper_pos is null then
    return null;
  end if;
  -- the calendar part on the table's calendar, then the time of day as elapsed time
  calendar := _tide.calendar_part(mt.keep_interval);
  return case when mt.control_type = 'timestamptz'::regtype and calendar = interval '0'
              then timestamptz 'epoch' + upper_pos * interval '1 microsecond'
              else _tide.local_instant(mt, _tide.position_local(mt, upper_pos) + calendar) end
         + (mt.keep_interval - calendar);
end
$fn$;

comment on function _tide.expires_at(_tide.managed_tables, bigint) is
  'The earliest instant at which a partition of a managed table whose range ends at axis position UPPER_POS has expired under its keep interval (NULL without one): the inverse of _tide.retention_cutoff, in the table''s zone. Takes no locks.';
