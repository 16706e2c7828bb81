-- A key value written by the user (start_at, through: a wall-clock time in the table's zone, or
-- a whole number) as a position on the table's axis, or 22023 naming the argument and the table.
create or replace function _tide.key_value_position(mt _tide.managed_tables, value text, what text)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
as $fn$
begin
  if mt.every_int is not null then
    return btrim(value)::bigint;
  end if;
  return _tide.local_position(mt, btrim(value)::timestamp);
exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
  raise exception using errcode = '22023',
    message = format('%s %L for %s is not a value of type %s', what, value, mt.parent, mt.control_type),
    detail = case when mt.every_int is null then format('%s is a wall-clock time in the table''s time zone.', what) end,
    hint = case when mt.every_int is null then 'Write e.g. ''2025-08-01''.' else 'Write a whole number.' end;
end
$fn$;

comment on function _tide.key_value_position(_tide.managed_tables, text, text) is
  'Parses a user-written key value (WHAT names the argument: start_at, through) as a position on a managed table''s axis; 22023 when it is not a value of the key type.';
