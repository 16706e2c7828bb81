-- The key of a partitioned table's pg_inherits rows: partition oid, inserting transaction and tuple
-- position of each. ATTACH, DETACH and DROP always insert or delete such a row (a bound is never
-- changed in place), so an unchanged key means an unchanged set of partitions and bounds.

create or replace function _tide.listing_key(parent regclass)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: its plan is cached for the session (maintenance calls it per table)
  return (select md5(string_agg(i.inhrelid::text || ':' || i.xmin::text || ':' || i.ctid::text, ',' order by i.inhrelid))
            from pg_catalog.pg_inherits i where i.inhparent = parent);
end
$fn$;

comment on function _tide.listing_key(regclass) is
  'Key of the partitions of PARENT (oid, xmin and ctid of each pg_inherits row); changes with every attach, detach or drop. Takes no locks.';
