-- Whether a position is a partition edge of the table's grid; adopted partitions must sit on it.

create or replace function _tide.is_grid_point(mt _tide.managed_tables, pos bigint)
returns boolean
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return pos is null or _tide.grid_floor(mt, pos) = pos;
end
$fn$;

comment on function _tide.is_grid_point(_tide.managed_tables, bigint) is
  'True when a position is a partition edge on the table''s grid (NULL, an unbounded edge, counts).';
