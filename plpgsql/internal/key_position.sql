-- Positions on a managed table's key axis as bigint: the key itself for integer keys, microseconds
-- since the epoch for time keys (timestamp and date keys are read as if in UTC; no session TimeZone).

create or replace function _tide.key_position(mt _tide.managed_tables, bound text)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set datestyle = 'ISO, YMD'
as $fn$
declare
  abs_time timestamptz;
begin
  if bound is null then
    return null;
  end if;
  if mt.control_type in ('integer'::regtype, 'bigint'::regtype) then
    return bound::bigint;
  elsif mt.control_type = 'timestamptz'::regtype then
    abs_time := bound::timestamptz;
  elsif mt.control_type = 'timestamp'::regtype then
    abs_time := bound::timestamp at time zone 'UTC';
  else
    abs_time := bound::date::timestamp at time zone 'UTC';
  end if;
  return (extract(epoch from abs_time) * 1000000)::bigint;
end
$fn$;

comment on function _tide.key_position(_tide.managed_tables, text) is
  'A key value (as text) as a bigint position on the table''s axis (microseconds for time keys).';
