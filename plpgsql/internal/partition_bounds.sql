-- Reads one partition's range bounds from the catalog, as text a caller can cast back to the key type.
-- Runs with DateStyle ISO and TimeZone UTC pinned so the text is the same in every session. Parsed
-- with regular expressions (list_partitions holds the same parse, inline, for whole tables);
-- pg_get_expr gets relation 0: a bound holds constants only, so the partition is not locked.

create or replace function _tide.partition_bounds(partition regclass)
returns table (lower_bound text, upper_bound text, is_default boolean)
language sql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
  select b.lower_bound, b.upper_bound, b.is_default
    from (select pg_get_expr(c.relpartbound, 0) as expr from pg_class c where c.oid = partition and c.relispartition) e
    cross join lateral (select case when cardinality(v.lo) = 1 then case when v.lo[1] in ('MINVALUE', 'MAXVALUE') then null else v.lo[1] end
                           else '(' || array_to_string(v.lo, ', ') || ')' end as lower_bound,
                      case when cardinality(v.hi) = 1 then case when v.hi[1] in ('MINVALUE', 'MAXVALUE') then null else v.hi[1] end
                           else '(' || array_to_string(v.hi, ', ') || ')' end as upper_bound,
                      false as is_default
                 from (select regexp_match(e.expr, $re$^FOR VALUES FROM \(((?:'(?:[^']|'')*'|[^'()])*)\) TO \(((?:'(?:[^']|'')*'|[^'()])*)\)$$re$) as m) r
                cross join lateral (
                  select array(select coalesce(replace(x[1], '''''', ''''), x[2])
                                 from regexp_matches(r.m[1], $re$'((?:[^']|'')*)'|([^,\s]+)$re$, 'g') x) as lo,
                         array(select coalesce(replace(x[1], '''''', ''''), x[2])
                                 from regexp_matches(r.m[2], $re$'((?:[^']|'')*)'|([^,\s]+)$re$, 'g') x) as hi) v
                where r.m is not null
               union all
               select null, null, true where e.expr = 'DEFAULT') b;
$fn$;

comment on function _tide.partition_bounds(regclass) is
  'Range bounds of one partition as text (DateStyle ISO, UTC): lower_bound, upper_bound (NULL for MINVALUE/MAXVALUE), is_default. No rows for a non-partition or a LIST/HASH partition. Takes no locks.';
