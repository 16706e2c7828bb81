-- A key value written by the user (start_at, through: a whole number, or a time — for a timestamptz
-- key an instant when it carries an offset, else a wall-clock time in the table's zone) as a position
-- on the table's axis, or 22023 naming the argument and the table.
create or replace function _tide.key_value_position(mt _tide.managed_tables, value text, what text)
returns bigint
language plpgsql stable
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
as $fn$
declare
  v       text := btrim(value);
  instant timestamptz;
  zoned   boolean;
begin
  if mt.every_int is not null then
    return v::bigint;
  end if;
  if v is null then
    return null;
  end if;
  -- a value that names its own offset or zone reads as the same instant whatever the session's zone
  instant := v::timestamptz;
  perform set_config('timezone', 'Etc/GMT-14', true);
  zoned := v::timestamptz = instant;
  perform set_config('timezone', 'UTC', true);
  if mt.control_type = 'timestamptz'::regtype then
    if zoned then
      return (extract(epoch from instant) * 1000000)::bigint;
    end if;
    return _tide.local_position(mt, v::timestamp);
  end if;
  -- the words now, epoch and infinity read the same in every zone but carry no offset
  if zoned and lower(v) not in ('now', 'epoch', 'infinity', '+infinity', '-infinity') then
    raise exception using errcode = '22023',
      message = format('%s %L for %s has a time zone offset, but the key column is of type %s', what, value, mt.parent, mt.control_type),
      detail = format('A %s value has no offset; the offset would be dropped and %s read as the wall-clock time %s.',
                      mt.control_type, what, v::timestamp),
      hint = format('Write the value as the key column holds it, without an offset, e.g. %L.',
                    case when mt.control_type = 'date'::regtype then v::timestamp::date::text else v::timestamp::text end);
  end if;
  return _tide.local_position(mt, v::timestamp);
exception when invalid_text_representation or invalid_datetime_format or datetime_field_overflow or numeric_value_out_of_range then
  raise exception using errcode = '22023',
    message = format('%s %L for %s is not a value of type %s', what, value, mt.parent, mt.control_type),
    detail = case when mt.control_type = 'timestamptz'::regtype
                  then format('%s is a time: with an offset (''2025-08-01 00:00+02'') that instant, without one a wall-clock time in the table''s time zone %s.', what, mt.time_zone)
                  when mt.every_int is null then format('%s is a time as the key column holds it, without an offset.', what)
                  else format('The key column is of type %s, so %s is a whole number.', mt.control_type, what) end,
    hint = case when mt.every_int is null then 'Write e.g. ''2025-08-01''.' else 'Write a whole number.' end;
end
$fn$;

comment on function _tide.key_value_position(_tide.managed_tables, text, text) is
  'Parses a user-written key value (WHAT names the argument: start_at, through) as a position on a managed table''s axis: for a timestamptz key a time with an offset is that instant, one without a wall-clock time in the table''s zone; for a timestamp or date key a time with an offset is refused. 22023 when it is not a value of the key type.';
