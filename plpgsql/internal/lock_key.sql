-- The one place advisory-lock keys are made: a fixed prefix, the lock's name, the database and an
-- object, hashed to a bigint, so two databases in one cluster never contend for the same key.

create or replace function _tide.lock_key(name text, object oid default 0)
returns bigint
language plpgsql stable parallel safe
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- Known names: 'install' (the installer, exclusive; maintenance takes it shared),
  -- 'maintain' (one table's maintenance, object = parent oid), 'archive' (one archive job).
  -- PL/pgSQL, not SQL: a SQL function with a SET clause is parsed and planned again in every
  -- transaction that calls it, and maintenance calls this one in every per-table transaction.
  return hashtextextended('pgtide:' || lock_key.name || ':' || current_database() || ':' || lock_key.object::text, 0);
end
$fn$;

comment on function _tide.lock_key(text, oid) is
  'Advisory-lock key for pgtide lock NAME on OBJECT in the current database (install, maintain, archive…). Takes no locks itself.';
