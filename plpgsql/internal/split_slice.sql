-- The standalone table tide.split_legacy is filling with the legacy partition's oldest interval
-- left (the one starting at LOWER_POS): by the oid _tide.legacy records (the parent may have been
-- renamed since), else by the interval's partition name (a split an earlier version started).
-- Only an unattached ordinary table in the parent's schema counts; NULL when there is none.

create or replace function _tide.split_slice(mt _tide.managed_tables, lg _tide.legacy, lower_pos bigint)
returns regclass
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return (select c.oid::regclass from pg_class c
           where c.oid = coalesce(lg.slice::oid,
                                  to_regclass(format('%I.%I', mt.parent_schema, _tide.partition_name(mt, lower_pos)))::oid)
             and c.relkind = 'r' and not c.relispartition
             and c.relnamespace = (select p.relnamespace from pg_class p where p.oid = mt.parent));
end
$fn$;

comment on function _tide.split_slice(_tide.managed_tables, _tide.legacy, bigint) is
  'The unattached slice table a legacy split is filling for the interval starting at LOWER_POS (recorded oid, else the interval''s partition name), or NULL.';
