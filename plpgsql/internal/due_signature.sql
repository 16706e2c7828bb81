-- What a table's next-due time depends on: its settings and the exact set of its partitions.
-- Any change (a partition dropped or attached by hand, premake raised) makes the table due.
create or replace function _tide.due_signature(mt _tide.managed_tables)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: the query's plan is cached for the session instead of re-planned per call
  return md5(concat_ws('|', mt.every, mt.premake, mt.keep, mt.on_expire, mt.time_zone, mt.default_partition,
                       mt.enabled, mt.detach_schema,
                       (select string_agg(i.inhrelid::text, ',' order by i.inhrelid)
                          from pg_catalog.pg_inherits i where i.inhparent = mt.parent)));
end
$fn$;

comment on function _tide.due_signature(_tide.managed_tables) is
  'Signature of a managed table''s settings and partition set; run_maintenance re-examines a table whose signature changed.';
