-- The grid point at or below a position: integer keys in multiples of every, time keys on the
-- wall-clock grid of the table's zone (stepping back when a DST change moved the point past it).

create or replace function _tide.grid_floor(mt _tide.managed_tables, pos bigint)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  if pos is null then
    return null;
  end if;
  if mt.every_int is not null then
    return pos - (((pos % mt.every_int) + mt.every_int) % mt.every_int);
  end if;
  return _tide.grid_point(mt, pos, 0);
end
$fn$;

comment on function _tide.grid_floor(_tide.managed_tables, bigint) is
  'The grid point at or below a position on a managed table''s key axis.';
