-- Every grid cell in [from, through) of a managed table that no partition covers, in key order,
-- from one listing and one walk (_tide.missing_slots_among). Partitions may span several cells
-- (legacy ones); one that starts or ends off the grid is TD002.

create or replace function _tide.missing_slots(mt _tide.managed_tables, from_pos bigint, through_pos bigint)
returns table (lower_pos bigint, upper_pos bigint)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  lo     bigint[];
  hi     bigint[];
  parts  regclass[];
begin
  select coalesce(array_agg(p.lower_pos order by p.lower_pos nulls first), '{}'),
         coalesce(array_agg(p.upper_pos order by p.lower_pos nulls first), '{}'),
         coalesce(array_agg(p.partition order by p.lower_pos nulls first), '{}')
    into lo, hi, parts
    from _tide.list_partitions(mt) p where not p.is_default;
  return query select s.lower_pos, s.upper_pos from _tide.missing_slots_among(mt, from_pos, through_pos, lo, hi, parts) s;
end
$fn$;

comment on function _tide.missing_slots(_tide.managed_tables, bigint, bigint) is
  'Every uncovered grid cell in [from, through) of a managed table, in key order; raises TD002 when a partition lies off the grid.';
