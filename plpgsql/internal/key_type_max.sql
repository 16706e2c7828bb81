-- The largest value of an integer key type: where the last cell of its range ends at MAXVALUE.
-- The smallest is -key_type_max - 1.

create or replace function _tide.key_type_max(control_type regtype)
returns bigint
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
begin
  return case control_type when 'integer'::regtype then 2147483647 when 'bigint'::regtype then 9223372036854775807 end;
end
$fn$;

comment on function _tide.key_type_max(regtype) is
  'The largest value of integer key type CONTROL_TYPE (integer or bigint); NULL for any other type.';
