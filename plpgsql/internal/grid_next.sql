-- The grid point after a grid point. Where a DST change makes a cell empty (a skipped hour) it is
-- passed over, so consecutive points always differ and partitions never have empty ranges.

create or replace function _tide.grid_next(mt _tide.managed_tables, pos bigint)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  loc  timestamp;
  g    bigint;
begin
  if pos is null then
    return null;
  end if;
  if mt.every_int is not null then
    return pos + mt.every_int;
  end if;
  loc := _tide.grid_floor_local(_tide.position_local(mt, pos), mt.every_interval);
  loop
    loc := loc + mt.every_interval;
    g := _tide.local_position(mt, loc);
    exit when g > pos;
  end loop;
  return g;
end
$fn$;

comment on function _tide.grid_next(_tide.managed_tables, bigint) is
  'The next grid point after a grid point on a managed table''s key axis.';
