-- The due signature of a managed table from its settings and a listing key already read (the
-- bookkeeping UPDATE reads the key once for both columns); _tide.due_signature reads it itself.
create or replace function _tide.due_signature_of(mt _tide.managed_tables, listing_key text)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- the partitions by their listing key, not by their oids: a partition detached and attached again
  -- with other bounds keeps its oid, but not its pg_inherits row
  return md5(concat_ws('|', mt.every, mt.premake, mt.keep, mt.on_expire, mt.time_zone, mt.default_partition,
                       mt.enabled, mt.detach_schema, listing_key));
end
$fn$;

comment on function _tide.due_signature_of(_tide.managed_tables, text) is
  'Signature of a managed table''s settings and of the partition set whose listing key is LISTING_KEY (see _tide.listing_key). Takes no locks.';
