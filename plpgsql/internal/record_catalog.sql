-- Called by the installer after it applies plpgsql/, in the same transaction: remembers exactly what
-- this version installed, so `pgtide doctor` can report missing, altered and stray objects later and
-- uninstall can tell pgtide's routines from a user's function in tide or _tide (an overload of one of
-- their names, or one that was there before the install). ROUTINES are the signatures of pgtide's
-- routines, as the code files' COMMENT ONs give them; every other routine there is left unrecorded.
create or replace function _tide.record_catalog(routines text[])
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  own     text[] := '{}';
  missing text;
  r       text;
  f       regprocedure;
  n       integer;
begin
  -- each as catalog_fingerprint prints it (the same search_path); a signature that does not parse
  -- (a type misspelt, an argument name) is as missing as one naming no routine
  foreach r in array coalesce(routines, '{}') loop
    begin
      f := to_regprocedure(r);
    exception when others then
      f := null;
    end;
    if f is null then
      missing := concat_ws(', ', missing, r);
    else
      own := own || f::text;
    end if;
  end loop;
  if cardinality(own) = 0 or missing is not null then
    raise exception using errcode = '42883',
      message = format('pgtide''s routines %s were not found after the code step', coalesce(missing, '(none given)')),
      detail = 'The installer records the routines its code files create; each file''s COMMENT ON names its routine''s signature.',
      hint = 'The code file and its COMMENT ON disagree: fix the comment''s signature.';
  end if;
  delete from _tide.catalog_objects;
  insert into _tide.catalog_objects (kind, identity, definition_md5)
  select f.kind, f.identity, f.definition_md5 from _tide.catalog_fingerprint() f
   where f.kind not in ('function', 'procedure') or f.identity = any (own);
  get diagnostics n = row_count;
  return n;
end
$$;
comment on function _tide.record_catalog(text[]) is
  'pgtide: snapshot of the installed catalog into _tide.catalog_objects, routines only those named in ROUTINES (run by the installer after the code step)';
