-- The objects pgtide owns in schemas tide and _tide with a checksum of each definition,
-- so the installer can record what it created and doctor can find what has drifted since.
create or replace function _tide.catalog_fingerprint()
returns table (kind text, identity text, definition_md5 text)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select case p.prokind when 'p' then 'procedure' else 'function' end,
         p.oid::regprocedure::text,
         md5(pg_get_functiondef(p.oid) || coalesce(array_to_string(p.proacl, ','), ''))
  from pg_proc p
  where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace)
    and p.prokind in ('f', 'p')
  union all
  select case c.relkind when 'v' then 'view' when 'r' then 'table' when 'i' then 'index' when 'S' then 'sequence' else c.relkind::text end,
         c.oid::regclass::text,
         md5(case c.relkind when 'v' then pg_get_viewdef(c.oid) else
               coalesce((select string_agg(a.attname || ':' || format_type(a.atttypid, a.atttypmod), ',' order by a.attnum)
                         from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '')
             end || coalesce(array_to_string(c.relacl, ','), ''))
  from pg_class c
  where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace)
    and c.relkind in ('r', 'v', 'i', 'S')
  union all
  select 'trigger', t.tgname || ' on ' || t.tgrelid::regclass::text, md5(pg_get_triggerdef(t.oid))
  from pg_trigger t join pg_class c on c.oid = t.tgrelid
  where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace) and not t.tgisinternal
$$;
comment on function _tide.catalog_fingerprint() is
  'pgtide: every object in tide and _tide with an md5 of its definition and privileges (used by install and doctor)';
