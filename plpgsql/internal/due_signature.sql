-- What a table's next-due time depends on: its settings and the exact set of its partitions (with
-- their bounds: the listing key changes with every attach, detach or drop).
-- Any change (a partition dropped or attached by hand, premake raised) makes the table due.
create or replace function _tide.due_signature(mt _tide.managed_tables)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return _tide.due_signature_of(mt, _tide.listing_key(mt.parent));
end
$fn$;

comment on function _tide.due_signature(_tide.managed_tables) is
  'Signature of a managed table''s settings and partition set; run_maintenance re-examines a table whose signature changed.';
