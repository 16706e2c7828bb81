-- The grid point after a grid point. Where a DST change makes a cell empty (a skipped hour) it is
-- passed over, so consecutive points always differ and partitions never have empty ranges.

create or replace function _tide.grid_next(mt _tide.managed_tables, pos bigint)
returns bigint
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  if pos is null then
    return null;
  end if;
  if mt.every_int is not null then
    return pos + mt.every_int;
  end if;
  return _tide.grid_point(mt, pos, 1);
end
$fn$;

comment on function _tide.grid_next(_tide.managed_tables, bigint) is
  'The next grid point after a grid point on a managed table''s key axis.';
