-- The inverse of key_position: a position written as a literal of the key type, for partition DDL
-- and for users (ISO dates, timestamptz in UTC with its offset).

create or replace function _tide.position_bound(mt _tide.managed_tables, pos bigint)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
set timezone = 'UTC'
set datestyle = 'ISO, YMD'
as $fn$
declare
  abs_time timestamptz;
begin
  if pos is null then
    return null;
  end if;
  if mt.control_type in ('integer'::regtype, 'bigint'::regtype) then
    return pos::text;
  end if;
  abs_time := timestamptz 'epoch' + pos * interval '1 microsecond';
  if mt.control_type = 'timestamptz'::regtype then
    return abs_time::text;
  elsif mt.control_type = 'timestamp'::regtype then
    return (abs_time at time zone 'UTC')::text;
  else
    return (abs_time at time zone 'UTC')::date::text;
  end if;
end
$fn$;

comment on function _tide.position_bound(_tide.managed_tables, bigint) is
  'A position on the table''s key axis written as a literal of the key type.';
