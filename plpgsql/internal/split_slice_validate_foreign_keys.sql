-- The second half of split_slice_add_foreign_keys: validate the slice's NOT VALID foreign keys
-- while it is standalone, so that ATTACH (under ACCESS EXCLUSIVE on the parent) reads nothing.

create or replace function _tide.split_slice_validate_foreign_keys(mt _tide.managed_tables, slice regclass)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  r      record;
  names  text[] := array[]::text[];
  old_lt text := current_setting('lock_timeout');
begin
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  for r in select c.conname from pg_constraint c
            where c.conrelid = slice and c.contype = 'f' and c.conparentid = 0 and not c.convalidated order by c.conname loop
    -- SHARE UPDATE EXCLUSIVE on the slice, ROW SHARE on the referenced table (taken before the
    -- scan, so a retry costs no read): writes continue
    perform _tide.execute_with_retry(format('alter table %s validate constraint %I', slice, r.conname), mt.lock_retries);
    names := names || format('%I', r.conname);
  end loop;
  perform set_config('lock_timeout', old_lt, true);
  return nullif(array_to_string(names, ', '), '');
end
$fn$;

comment on function _tide.split_slice_validate_foreign_keys(_tide.managed_tables, regclass) is
  'For tide.split_legacy: validates the NOT VALID foreign keys of the standalone SLICE table (reads it under SHARE UPDATE EXCLUSIVE, ROW SHARE on the referenced tables: writes continue), each under the table''s lock_timeout, retried. Returns the foreign keys validated, or NULL.';
