-- Called by the installer after it applies plpgsql/: remembers exactly what this version
-- installed, so `pgtide doctor` can report missing, altered and stray objects later.
create or replace function _tide.record_catalog()
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  n integer;
begin
  delete from _tide.catalog_objects;
  insert into _tide.catalog_objects (kind, identity, definition_md5)
  select f.kind, f.identity, f.definition_md5 from _tide.catalog_fingerprint() f;
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function _tide.record_catalog() is
  'pgtide: snapshot of the installed catalog into _tide.catalog_objects (run by the installer)';
