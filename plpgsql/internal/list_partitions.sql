-- A managed table's partitions with their bounds as positions, ordered along the key axis
-- (default last). Reads the catalog only, in one query: bounds are printed once (DateStyle ISO,
-- TimeZone UTC pinned; relation 0, so no partition is locked), cut with split_part (a managed key is
-- one integer or time column, whose literals hold no quotes or parentheses) and turned into
-- positions inline, as key_position does. Hot path: PL/pgSQL so its plan is cached for the session (a
-- SQL function with SET clauses is never inlined and would be parsed and planned on every call).

create or replace function _tide.list_partitions(mt _tide.managed_tables)
returns table (partition regclass, lower_pos bigint, upper_pos bigint, lower_bound text, upper_bound text, is_default boolean)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
as $fn$
#variable_conflict use_column
begin
  return query
  select p.partition,
         case when mt.control_type in ('integer'::regtype, 'bigint'::regtype) then p.lower_bound::bigint
              when mt.control_type = 'timestamptz'::regtype then (extract(epoch from p.lower_bound::timestamptz) * 1000000)::bigint
              when mt.control_type = 'timestamp'::regtype then (extract(epoch from p.lower_bound::timestamp) * 1000000)::bigint
              else (extract(epoch from p.lower_bound::date::timestamp) * 1000000)::bigint end as lower_pos,
         case when mt.control_type in ('integer'::regtype, 'bigint'::regtype) then p.upper_bound::bigint
              when mt.control_type = 'timestamptz'::regtype then (extract(epoch from p.upper_bound::timestamptz) * 1000000)::bigint
              when mt.control_type = 'timestamp'::regtype then (extract(epoch from p.upper_bound::timestamp) * 1000000)::bigint
              else (extract(epoch from p.upper_bound::date::timestamp) * 1000000)::bigint end as upper_pos,
         p.lower_bound, p.upper_bound, p.is_default
    from (select b.partition, b.is_default,
                 case when not b.is_default then nullif(nullif(btrim(split_part(split_part(b.expr, ') TO (', 1), 'FROM (', 2), ''''),
                                                               'MINVALUE'), 'MAXVALUE') end as lower_bound,
                 case when not b.is_default then nullif(nullif(btrim(left(split_part(b.expr, ') TO (', 2), -1), ''''),
                                                               'MINVALUE'), 'MAXVALUE') end as upper_bound
            from (select i.inhrelid::regclass as partition, e.expr = 'DEFAULT' as is_default, e.expr
                    from pg_inherits i
                   -- one index probe per partition (a join would be planned as a scan of all of pg_class)
                   cross join lateral (select pg_get_expr(c.relpartbound, 0) as expr
                                         from pg_class c where c.oid = i.inhrelid and c.relispartition offset 0) e
                   where i.inhparent = mt.parent
                  offset 0) b
           where b.is_default or b.expr like 'FOR VALUES FROM (%') p
   order by p.is_default, 2 nulls first;
end
$fn$;

comment on function _tide.list_partitions(_tide.managed_tables) is
  'Partitions of a managed table with their bounds as text and as axis positions, in key order, default last. Takes no locks.';
