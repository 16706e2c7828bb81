-- Lets an exporter that works through several jobs on one connection give back the session
-- advisory lock claim_archive took, so another exporter may pick the job up.
create or replace function tide.release_archive(archive_id bigint)
returns boolean
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  key bigint := _tide.lock_key('archive', archive_id::oid);
begin
  if exists (select from pg_catalog.pg_locks l
             where l.locktype = 'advisory' and l.pid = pg_catalog.pg_backend_pid() and l.granted
               and l.database = (select d.oid from pg_catalog.pg_database d where d.datname = current_database())
               and ((l.classid::bigint << 32) | l.objid::bigint) = key and l.objsubid = 1) then
    return pg_catalog.pg_advisory_unlock(key);
  end if;
  return false;
end
$fn$;
comment on function tide.release_archive(bigint) is
  'pgtide: release the session advisory lock this connection holds on archive job ARCHIVE_ID (no-op when not held)';
