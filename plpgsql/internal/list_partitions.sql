-- A managed table's partitions with their bounds as positions, ordered along the key axis
-- (default last). Reads the catalog only.

create or replace function _tide.list_partitions(mt _tide.managed_tables)
returns table (partition regclass, lower_pos bigint, upper_pos bigint, lower_bound text, upper_bound text, is_default boolean)
language sql stable
set search_path = pg_catalog, pg_temp
as $fn$
  select i.inhrelid::regclass, _tide.key_position(mt, b.lower_bound), _tide.key_position(mt, b.upper_bound),
         b.lower_bound, b.upper_bound, b.is_default
    from pg_inherits i
    cross join lateral _tide.partition_bounds(i.inhrelid::regclass) b
   where i.inhparent = mt.parent
   order by b.is_default, _tide.key_position(mt, b.lower_bound) nulls first;
$fn$;

comment on function _tide.list_partitions(_tide.managed_tables) is
  'Partitions of a managed table with their bounds as text and as axis positions, in key order, default last.';
