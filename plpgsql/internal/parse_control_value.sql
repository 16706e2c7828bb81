-- Turns a control value written as text ('1 month', '24 months', '1000000') into an interval or a
-- bigint for the key type, refusing what pgtide cannot lay out on a grid. Used for every and keep;
-- PARENT is the table the value is for, named in every error.

create or replace function _tide.parse_control_value(
  value text, control_type regtype, what text, parent regclass,
  every_interval interval default null, every_int bigint default null)
returns table (as_interval interval, as_int bigint)
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  iv     interval;
  n      bigint;
  mon    integer;
  dd     integer;
  us     bigint;
  emon   integer;
  edd    integer;
  eus    bigint;
begin
  if value is null or btrim(value) = '' then
    raise exception using errcode = '22023',
      message = format('%s for %s must not be empty', what, parent),
      detail = case what when 'every' then 'every is the span of one partition.'
                         else 'keep is how long retention keeps a partition; NULL (not an empty text) keeps every partition.' end,
      hint = case when control_type in ('integer'::regtype, 'bigint'::regtype)
                  then 'Write a positive whole number, e.g. ''1000000''.'
                  else 'Write an interval, e.g. ''1 month'' or ''1 day''.' end;
  end if;

  if control_type in ('integer'::regtype, 'bigint'::regtype) then
    begin
      n := btrim(value)::bigint;
    exception when invalid_text_representation or numeric_value_out_of_range then
      raise exception using errcode = '22023',
        message = format('%s %L for %s is not a whole number', what, value, parent),
        detail = format('The control column is of type %s, so %s counts key values.', control_type, what),
        hint = 'Write a positive whole number, e.g. ''1000000''.';
    end;
    if n <= 0 then
      raise exception using errcode = '22023',
        message = format('%s %L for %s must be positive', what, value, parent),
        detail = format('The control column is of type %s, so %s counts key values; it must be at least 1.', control_type, what),
        hint = 'Write a positive whole number, e.g. ''1000000''.';
    end if;
    if every_int is not null and (n < every_int or n % every_int <> 0) then
      raise exception using errcode = '22023',
        message = format('%s %L for %s is not a multiple of the partition interval %s', what, value, parent, every_int),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s.', every_int);
    end if;
    return query select null::interval, n;
    return;
  end if;

  begin
    iv := btrim(value)::interval;
  exception when invalid_datetime_format or datetime_field_overflow or interval_field_overflow
                  or invalid_text_representation or syntax_error then
    raise exception using errcode = '22023',
      message = format('%s %L for %s is not an interval', what, value, parent),
      detail = format('The control column is of type %s, so %s is a time span.', control_type, what),
      hint = 'Write an interval, e.g. ''1 month'', ''1 week'' or ''6 hours''.';
  end;
  mon := extract(year from iv)::integer * 12 + extract(month from iv)::integer;
  dd  := extract(day from iv)::integer;
  us  := ((extract(hour from iv) * 3600 + extract(minute from iv) * 60 + extract(second from iv)) * 1000000)::bigint;

  if mon < 0 or dd < 0 or us < 0 or (mon = 0 and dd = 0 and us = 0) then
    raise exception using errcode = '22023',
      message = format('%s %L for %s must be a positive interval', what, value, parent),
      detail = format('%s is %s; it must be longer than zero.', what,
                      case what when 'every' then 'the span of one partition' else 'how long retention keeps a partition' end),
      hint = 'Write a positive interval, e.g. ''1 month''.';
  end if;
  if (mon > 0 and (dd > 0 or us > 0)) or (dd > 0 and us > 0) then
    raise exception using errcode = '22023',
      message = format('%s %L for %s mixes units', what, value, parent),
      detail = 'An interval is laid out on a grid of months, of days (weeks) or of hours; a mix has no grid.',
      hint = 'Use one unit, e.g. ''3 months'', ''2 weeks'', ''36 hours''.';
  end if;

  if what = 'every' then
    if mon = 0 and dd = 0 and us < 3600000000 then
      raise exception using errcode = '22023',
        message = format('every %L for %s is shorter than 1 hour', value, parent),
        detail = 'Partitions shorter than an hour make too many tables to plan and maintain.',
        hint = 'Use ''1 hour'' or longer.';
    end if;
    if mon > 12 or dd > 366 or us > 366::bigint * 86400000000 then
      raise exception using errcode = '22023',
        message = format('every %L for %s is longer than 1 year', value, parent),
        detail = 'Partitions are laid out on a grid that repeats every year; a partition longer than a year has no place on it.',
        hint = 'Use ''1 year'' or shorter.';
    end if;
    if mon = 0 and dd = 0 and (86400000000 % us) <> 0 and (us % 86400000000) <> 0 then
      raise exception using errcode = '22023',
        message = format('every %L for %s does not divide a day', value, parent),
        detail = 'Intervals shorter than a day must fit a whole number of times into a day so partitions start at the same clock times every day.',
        hint = 'Use 1, 2, 3, 4, 6, 8 or 12 hours.';
    end if;
    if mon = 0 and dd = 0 and us >= 86400000000 then
      -- whole days written in hours: treat as days
      dd := (us / 86400000000)::integer; us := 0;
      iv := make_interval(days => dd);
    end if;
    if mon > 0 and 12 % mon <> 0 then
      raise exception using errcode = '22023',
        message = format('every %L for %s does not divide a year', value, parent),
        detail = 'Month-based partitions start on the same months every year.',
        hint = 'Use 1, 2, 3, 4, 6 or 12 months.';
    end if;
    if control_type = 'date'::regtype and mon = 0 and dd = 0 then
      raise exception using errcode = '22023',
        message = format('every %L for %s is shorter than a day, but the control column is a date', value, parent),
        detail = 'A date has no time of day, so a partition of a date column spans whole days.',
        hint = 'Use ''1 day'' or longer for a date column.';
    end if;
  elsif every_interval is not null then
    emon := extract(year from every_interval)::integer * 12 + extract(month from every_interval)::integer;
    edd  := extract(day from every_interval)::integer;
    eus  := ((extract(hour from every_interval) * 3600 + extract(minute from every_interval) * 60
             + extract(second from every_interval)) * 1000000)::bigint;
    if emon > 0 and (mon = 0 or mon % emon <> 0) then
      raise exception using errcode = '22023',
        message = format('%s %L for %s is not a whole number of partitions of %s', what, value, parent, every_interval),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s, e.g. ''%s months''.', every_interval, emon * 12);
    end if;
    if emon = 0 and (mon > 0
        or ((dd::bigint * 86400000000 + us) % (edd::bigint * 86400000000 + eus)) <> 0
        or (dd::bigint * 86400000000 + us) < (edd::bigint * 86400000000 + eus)) then
      raise exception using errcode = '22023',
        message = format('%s %L for %s is not a whole number of partitions of %s', what, value, parent, every_interval),
        detail = 'Retention works in whole partitions.',
        hint = format('Use a multiple of %s.', every_interval);
    end if;
  end if;
  return query select iv, null::bigint;
end
$fn$;

comment on function _tide.parse_control_value(text, regtype, text, regclass, interval, bigint) is
  'Parses an every/keep control value for a key type of table PARENT; raises 22023 naming the table, with a detail and a hint, when it is malformed or has no grid.';
