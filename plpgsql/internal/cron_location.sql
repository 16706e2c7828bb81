-- Where pg_cron runs its jobs from, learnt without failing: cron.database_name is a superuser-only
-- setting (reading it raises 42501 for any other role, even with current_setting(name, true)), and
-- pg_cron's schema may be present here without this role being allowed to use it. pg_cron is known
-- by its extension (pg_extension), never by a schema named cron, which anyone may create.

create or replace function _tide.cron_location(
  out loaded boolean, out database text, out setting_readable boolean, out schema_usable boolean)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- pg_cron's own schema (cron: the extension is not relocatable), not a schema of that name
  -- pg_cron's schema cron is a member of its extension (created by its script); the extension's own
  -- namespace (extnamespace) is another one, the schema current when it was created
  schema_usable := coalesce((select has_schema_privilege(n.oid, 'USAGE')
                               from pg_extension e
                               join pg_depend d on d.refclassid = 'pg_extension'::regclass and d.refobjid = e.oid
                                               and d.classid = 'pg_namespace'::regclass and d.deptype = 'e'
                               join pg_namespace n on n.oid = d.objid and n.nspname = 'cron'
                              where e.extname = 'pg_cron'), false);
  begin
    database := current_setting('cron.database_name', true);
    setting_readable := true;
    -- a value set in postgresql.conf without the library is a placeholder, which pg_settings never
    -- lists (it is marked NO_SHOW_ALL). From PostgreSQL 15 on that mark is read for this one setting:
    -- pg_settings builds a row for every setting there is (≈ 0.4 ms, in every maintenance run with
    -- work, through prune_cron_history); the branch not taken is never planned
    if current_setting('server_version_num')::integer >= 150000 then
      loaded := database is not null
                and not coalesce('NO_SHOW_ALL' = any (pg_settings_get_flags('cron.database_name')), true);
    else
      loaded := database is not null and exists (select from pg_settings where name = 'cron.database_name');
    end if;
    if not loaded then
      database := null;
    end if;
  exception when insufficient_privilege then
    -- the setting exists, so pg_cron defined it: it is loaded. Its extension can only be created in
    -- the database cron.database_name names, so finding it here says which; otherwise it is unknown.
    setting_readable := false;
    loaded := true;
    database := case when exists (select from pg_extension where extname = 'pg_cron') then current_database() end;
  end;
end
$fn$;

comment on function _tide.cron_location() is
  'Where pg_cron runs jobs from, without failing: LOADED (pg_cron is loaded in this server), DATABASE (cron.database_name; when this role may not read that superuser-only setting, this database if pg_cron''s extension is created here, else NULL: unknown), SETTING_READABLE, and SCHEMA_USABLE (pg_cron''s extension is created here and this role has USAGE on its schema cron; a schema cron of another origin does not count).';
