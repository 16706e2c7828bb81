-- Called by the installer after it applies plpgsql/, in the same transaction: remembers exactly what
-- this version installed, so `pgtide doctor` can report missing, altered and stray objects later and
-- uninstall can tell pgtide's routines from a user's overload of one of their names. A routine is
-- pgtide's when this transaction wrote its comment: every file of the code step ends with one
-- (catalog lint checks it), and nothing else in it writes comments. (Not its pg_proc row: grants.sql
-- grants and revokes on all functions of the schemas, a user's too.) A function of the user's in
-- tide or _tide, whatever its name, is not recorded.
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
  select f.kind, f.identity, f.definition_md5 from _tide.catalog_fingerprint() f
   where f.kind not in ('function', 'procedure')
      or exists (select from pg_description d
                  where d.classoid = 'pg_proc'::regclass and d.objoid = f.identity::regprocedure and d.objsubid = 0
                    and d.xmin = pg_current_xact_id()::xid);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function _tide.record_catalog() is
  'pgtide: snapshot of the installed catalog into _tide.catalog_objects (run by the installer, in the transaction that applies the code: the routines whose comments it wrote are pgtide''s)';
