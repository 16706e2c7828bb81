-- The key of a partitioned table's pg_inherits rows: the tuple position and inserting transaction
-- of each, which name one row version (a position is reused only after the row there is gone, by a
-- later transaction). ATTACH, DETACH and DROP always insert or delete such a row (a bound is never
-- changed in place), so an unchanged key means an unchanged set of partitions and bounds.

create or replace function _tide.listing_key(parent regclass)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: its plan is cached for the session (maintenance calls it two or three times
  -- per table). In the order the parent's index gives (no sort): a plan reading them in another
  -- order gives another key, which only makes the next run read the catalog instead of its listing.
  return (select md5(string_agg(i.ctid::text || ':' || i.xmin::text, ','))
            from pg_catalog.pg_inherits i where i.inhparent = parent);
end
$fn$;

comment on function _tide.listing_key(regclass) is
  'Key of the partitions of PARENT (tuple position and xmin of each pg_inherits row); changes with every attach, detach or drop. Takes no locks.';
