-- A table pgtide stops managing keeps no CHECK of ours: the default-partition fences go with it
-- (unmanage, uninstall). A moment of ACCESS EXCLUSIVE on the default, under the caller's lock_timeout.

create or replace function _tide.drop_fences(parent regclass)
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  dflt  regclass;
  drops text;
  n     integer;
begin
  select nullif(pt.partdefid, 0)::regclass into dflt from pg_partitioned_table pt where pt.partrelid = drop_fences.parent;
  -- a restore's fence (tide_fence_restore_*) stays while that restore holds maintenance's lock of the
  -- table: it is about to ATTACH, which would otherwise read the whole default; the restore drops it
  select string_agg(format('drop constraint %I', k.conname), ', '), count(*) into drops, n
    from pg_constraint k
   where k.conrelid = dflt and k.conname ~ '^tide_fence_'
     and (k.conname !~ '^tide_fence_restore_' or pg_try_advisory_xact_lock(_tide.lock_key('maintain', drop_fences.parent)));
  if n > 0 then
    execute format('alter table %s %s', dflt, drops);
  end if;
  return n;
end
$fn$;

comment on function _tide.drop_fences(regclass) is
  'Drops the tide_fence_* CHECK constraints maintenance left on the default partition of PARENT (a restore''s tide_fence_restore_* only when no restore holds maintenance''s lock of the table); returns how many. Brief ACCESS EXCLUSIVE on the default under the caller''s lock_timeout.';
