-- EXPLAIN (never ANALYZE) of a statement tide.partitions_scanned has checked, under a read-only
-- transaction state so that even a statement that slipped past the check could not write anything.

create or replace function _tide.obs_explain(query text, path text default 'pg_catalog, pg_temp')
returns jsonb
language plpgsql
set search_path = pg_catalog, pg_temp
set transaction_read_only = on
as $fn$
declare
  plan json;
begin
  -- the caller's search_path, for this call only (the SET clause restores ours on exit)
  perform set_config('search_path', path, true);
  execute 'explain (verbose, costs off, format json) ' || query into plan;
  return plan::jsonb;
end
$fn$;

comment on function _tide.obs_explain(text, text) is
  'EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) of QUERY without running it, with transaction_read_only on and search_path = PATH for the call. Internal to tide.partitions_scanned, which checks QUERY first.';
