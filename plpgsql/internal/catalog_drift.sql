-- What has changed in tide and _tide since the installer last recorded the catalog:
-- objects missing, altered by hand, or added that this version did not install.
create or replace function _tide.catalog_drift()
returns table (problem text, kind text, identity text)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
  select case when live.identity is null then 'missing'
              when recorded.identity is null then 'stray'
              else 'altered' end,
         coalesce(recorded.kind, live.kind),
         coalesce(recorded.identity, live.identity)
  from _tide.catalog_objects recorded
  full join _tide.catalog_fingerprint() live
    on live.kind = recorded.kind and live.identity = recorded.identity
  where live.identity is null or recorded.identity is null
     or live.definition_md5 <> recorded.definition_md5
  order by 1, 2, 3
$$;
comment on function _tide.catalog_drift() is
  'pgtide: objects in tide/_tide that are missing, altered or stray compared with the last install (pgtide doctor)';
