-- Where the premade window ends: premake + 1 grid cells past the cell holding NOW_POS (one call of
-- grid_point, which steps cell by cell only where a clock change can leave one empty). Maintenance creates every
-- missing cell below this position; the default-partition fence covers the cells it is about to add.
-- For integer keys it stops at the type's largest value (the cell reaching past it ends at MAXVALUE).

create or replace function _tide.premake_horizon(mt _tide.managed_tables, now_pos bigint)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  if mt.every_int is not null then
    -- never past the key type's largest value: the last cell of its range ends at MAXVALUE
    return least(_tide.grid_floor(mt, now_pos)::numeric + (mt.premake + 1) * mt.every_int::numeric,
                 _tide.key_type_max(mt.control_type))::bigint;
  end if;
  return _tide.grid_point(mt, now_pos, mt.premake + 1);
end
$fn$;

comment on function _tide.premake_horizon(_tide.managed_tables, bigint) is
  'End (exclusive, as an axis position) of the premade window of a managed table whose current position is NOW_POS: premake + 1 grid cells past the current cell, for integer keys at most the key type''s largest value.';
