-- A managed table's lock_timeout (an interval in tide.config) as a value for the lock_timeout
-- setting: whole milliseconds (tide.config refuses less than 1 ms, so this is never 0, which would
-- mean "wait forever").

create or replace function _tide.lock_timeout_setting(timeout interval)
returns text
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return (extract(epoch from timeout) * 1000)::bigint::text || 'ms';
end
$fn$;

comment on function _tide.lock_timeout_setting(interval) is
  'TIMEOUT as a value for SET lock_timeout, in whole milliseconds (''100ms'').';
