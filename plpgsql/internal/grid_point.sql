-- The grid point CELLS cells on from the one at or below a position (CELLS 0: the floor; 1: the
-- point after it), on a time axis. grid_floor, grid_next, premake_horizon, is_grid_point and
-- next_due_at come here: one call where a chain of them and of the position helpers (each a call
-- with its own search_path) cost maintenance a few microseconds apiece, several times per table.
-- Cells a clock change left empty (a skipped hour; once, a skipped date) are passed over, so
-- consecutive points always differ.

create or replace function _tide.grid_point(mt _tide.managed_tables, pos bigint, cells integer default 0)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  -- the axis is wall-clock time: in the table's zone for timestamptz keys, as stored (UTC) for
  -- timestamp and date keys (position_local and local_position, written out here)
  zone text := case when mt.control_type = 'timestamptz'::regtype then mt.time_zone else 'UTC' end;
  fl   timestamp;
  g    bigint;
  nxt  bigint;
begin
  if pos is null then
    return null;
  end if;
  -- the cell holding pos, stepping back when a DST change moved its local start past pos
  fl := _tide.grid_floor_local((timestamptz 'epoch' + pos * interval '1 microsecond') at time zone zone, mt.every_interval);
  g := (extract(epoch from (fl at time zone zone)) * 1000000)::bigint;
  while g > pos loop
    fl := fl - mt.every_interval;
    g := (extract(epoch from (fl at time zone zone)) * 1000000)::bigint;
  end loop;
  if cells <= 0 then
    return g;
  end if;
  -- no cell is ever empty where the axis has no clock change (UTC), or where cells are months or
  -- several days (a zone has skipped a whole date, e.g. Pacific/Apia on 2011-12-30, but never two):
  -- CELLS intervals on, in one step (months from a 1st at midnight never clamp). Hour cells in a zone
  -- with DST, and day cells in any zone but UTC, are walked cell by cell.
  if zone = 'UTC' or (extract(hour from mt.every_interval) = 0 and extract(day from mt.every_interval) <> 1) then
    return (extract(epoch from ((fl + cells * mt.every_interval) at time zone zone)) * 1000000)::bigint;
  end if;
  for i in 1 .. cells loop
    loop
      fl := fl + mt.every_interval;
      nxt := (extract(epoch from (fl at time zone zone)) * 1000000)::bigint;
      exit when nxt > g;
    end loop;
    g := nxt;
  end loop;
  return g;
end
$fn$;

comment on function _tide.grid_point(_tide.managed_tables, bigint, integer) is
  'On a time axis, the grid point CELLS non-empty cells after the grid point at or below POS (CELLS 0: that point itself).';
