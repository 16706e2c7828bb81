-- What a fresh install leaves in the catalog, checked from SQL.

create function tests.test_installation_is_recorded_once() returns setof text language plpgsql as $$
begin
  return next is((select count(*)::int from _tide.installation), 1, 'the installation is recorded in exactly one row');
  return next matches((select source_sha256 from _tide.installation), '^[0-9a-f]{64}$', 'the recorded source checksum is a sha256');
end $$;

create function tests.test_both_schemas_exist() returns setof text language plpgsql as $$
begin
  return next has_schema('tide', 'schema tide (the interface) exists');
  return next has_schema('_tide', 'schema _tide (state and internals) exists');
end $$;

create function tests.test_catalog_matches_the_recorded_snapshot() returns setof text language plpgsql as $$
begin
  return next is_empty('select * from _tide.catalog_drift()', 'nothing has drifted from the catalog the installer recorded');
end $$;

create function tests.test_drift_detects_a_changed_function() returns setof text language plpgsql as $$
begin
  create or replace function _tide.lock_key(name text, object oid default 0) returns bigint
    language sql stable set search_path = pg_catalog, pg_temp as 'select 42::bigint';
  return next results_eq(
    'select problem, identity from _tide.catalog_drift()',
    $q$values ('altered'::text, '_tide.lock_key(text,oid)'::text)$q$,
    'a function replaced by hand shows as altered');
end $$;

create function tests.test_lock_keys_differ_per_name_and_object() returns setof text language plpgsql as $$
begin
  return next isnt(_tide.lock_key('install'), _tide.lock_key('maintain'), 'different lock names give different keys');
  return next isnt(_tide.lock_key('maintain', 1), _tide.lock_key('maintain', 2), 'different objects give different keys');
end $$;
