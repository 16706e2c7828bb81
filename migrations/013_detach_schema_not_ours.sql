-- Up Migration
-- detach_schema may no longer name tide or _tide (pgtide's own schemas, which uninstall drops); an
-- earlier version accepted them. Such a table goes back to the default (a detached partition stays in
-- its parent's schema, renamed <name>_detached), and a WARNING names it, with the detached partitions
-- already in tide or _tide, which stay there until moved: uninstall refuses while they are.
do $repair$
declare
  changed text;
  moved   text;
begin
  with u as (
    update _tide.managed_tables set detach_schema = null
     where detach_schema in ('tide', '_tide')
    returning parent
  )
  select pg_catalog.string_agg(u.parent::text, ', ' order by u.parent::text) into changed from u;
  if changed is null then
    return;
  end if;
  select pg_catalog.string_agg(c.oid::regclass::text, ', ' order by c.oid::regclass::text) into moved
    from _tide.detached d join pg_catalog.pg_class c on c.oid = d."partition"::oid
   where c.relnamespace in (select n.oid from pg_catalog.pg_namespace n where n.nspname in ('tide', '_tide'));
  raise warning 'pgtide: detach_schema of % named a pgtide schema (tide or _tide), which is not allowed: it is now NULL', changed
    using detail = pg_catalog.format('Detached partitions already in tide or _tide: %s. They stay there, and pgtide uninstall refuses while they do.',
                                     coalesce(moved, 'none')),
          hint = 'Move each to a schema of your own (ALTER TABLE ... SET SCHEMA), and set detach_schema to that schema through tide.config if you want one.';
end
$repair$;

-- Down Migration
