-- Objects bound to a table by its identity (its oid, not its name) would be left pointing at the
-- wrong table by a swap of names: convert and unconvert both refuse when any exists.
create or replace function _tide.refuse_identity_dependents(tbl regclass, action text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  r record;
begin
  for r in
    select distinct d.objid::regprocedure as fn
      from pg_depend d
     where d.classid = 'pg_proc'::regclass and d.refclassid = 'pg_class'::regclass and d.refobjid = tbl
  loop
    raise exception using errcode = '55000',
      message = format('function %s depends on table %s', r.fn, tbl),
      detail = 'A SQL-standard function body (BEGIN ATOMIC) is bound to the table by its identity.',
      hint = format('Drop the function, %s, and create it again.', action);
  end loop;
  for r in
    select a.attrelid::regclass as rel, a.attname
      from pg_attribute a join pg_class c on c.oid = tbl
     where a.atttypid = c.reltype and not a.attisdropped and a.attrelid <> tbl
  loop
    raise exception using errcode = '55000',
      message = format('column %I of %s has the row type of table %s', r.attname, r.rel, tbl),
      detail = 'A column of a table''s row type is bound to the table by its identity (its oid), not its name, so a swap of names would leave it on the other table.',
      hint = 'Change that column''s type first.';
  end loop;
end
$fn$;

comment on function _tide.refuse_identity_dependents(regclass, text) is
  'Raises 55000 when a BEGIN ATOMIC function or a column of the table''s row type is bound to TBL (convert and unconvert preflight).';
