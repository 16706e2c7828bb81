-- Refuses a schedule that pg_cron would not take, before tide.schedule writes anything, with the
-- field at fault in the DETAIL (pg_cron itself only says "invalid schedule").

create or replace function _tide.check_cron_schedule(cron text)
returns void
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  s      text := lower(btrim(cron));
  f      text[];
  fields text[] := array['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  lo     integer[] := array[0, 0, 1, 1, 0];
  hi     integer[] := array[59, 23, 31, 12, 7];
  months text[] := array['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  days   text[] := array['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  advice text := 'Write five fields, minute hour day-of-month month day-of-week, in GMT (e.g. ''*/10 * * * *'' for every 10 minutes), '
                 'or @hourly, @daily, @weekly, @monthly, @yearly.';
  item   text;
  m      text[];
  v      integer[];
  tok    text;
  k      integer;
  here   text;
  problem text;
begin
  if cron is null or s = '' then
    raise exception using errcode = 'invalid_parameter_value',
      message = 'tide.schedule: the cron schedule is empty',
      detail = 'The schedule says when pg_cron runs CALL tide.run_maintenance() in this database.',
      hint = 'Pass a cron expression in GMT, e.g. select tide.schedule(''*/10 * * * *'');';
  end if;
  if s in ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly', '@reboot', '@restart')
     or s ~ '^([1-9]|[1-5][0-9]) seconds?$' then
    return;
  end if;
  f := regexp_split_to_array(s, '\s+');
  if s ~ '^@' then
    problem := format('%s is not one of pg_cron''s named schedules.', f[1]);
  elsif cardinality(f) <> 5 then
    problem := format('It has %s field%s; a cron schedule has 5.', cardinality(f), case when cardinality(f) = 1 then '' else 's' end);
  end if;
  k := 1;
  while problem is null and k <= 5 loop
    foreach item in array string_to_array(f[k], ',') loop
      if k = 3 and item = '$' then
        continue;                                     -- the last day of the month
      end if;
      here := case when item = f[k] then format('The %s field %L', fields[k], item)
                   else format('The %s field %L has %L', fields[k], f[k], item) end;
      m := regexp_match(item, '^(\*|([0-9a-z]+)(-([0-9a-z]+))?)(/([0-9]+))?$');
      if m is null then
        problem := here || ', which is not a number, a range or *.';
        exit;
      end if;
      if m[6] is not null and m[6]::numeric < 1 then
        problem := here || format(': a step of %s; a step is at least 1.', m[6]);
        exit;
      end if;
      if m[1] = '*' then
        continue;
      end if;
      if m[6] is not null and m[4] is null then
        problem := here || format(': a step applies to a range or *, e.g. %s-%s/%s.', m[2], hi[k], m[6]);
        exit;
      end if;
      v := array[]::integer[];
      foreach tok in array array_remove(array[m[2], m[4]], null) loop
        if tok ~ '^[0-9]{1,3}$' then
          v := v || tok::integer;
        elsif k = 4 and tok = any (months) then
          v := v || array_position(months, tok);
        elsif k = 5 and tok = any (days) then
          v := v || (array_position(days, tok) - 1);
        else
          v := v || null::integer;
        end if;
      end loop;
      if array_position(v, null) is not null or v[1] < lo[k] or v[cardinality(v)] > hi[k] or v[1] > hi[k] or v[cardinality(v)] < lo[k] then
        problem := here || format(': the %s lies between %s and %s%s.', fields[k], lo[k], hi[k],
                          case k when 4 then ' (or jan to dec)' when 5 then ' (or sun to sat; 0 and 7 are Sunday)' else '' end);
        exit;
      end if;
      if v[1] > v[cardinality(v)] then
        -- pg_cron takes such a range but does not read it as wrapping round: it matches nothing, or other values
        problem := here || ': the range runs backwards, which pg_cron does not read as wrapping round; write it as '
                   || _tide.cron_wrapped_range(k, m[2], m[4], v[1], v[cardinality(v)], m[6]::integer, lo[k], hi[k]) || '.';
        exit;
      end if;
    end loop;
    k := k + 1;
  end loop;
  if problem is not null then
    raise exception using errcode = 'invalid_parameter_value',
      message = format('tide.schedule: %L is not a cron schedule', cron),
      detail = problem,
      hint = advice;
  end if;
end
$fn$;

comment on function _tide.check_cron_schedule(text) is
  'Raises 22023 (the field at fault in the DETAIL) when CRON is not a schedule pg_cron takes: five cron fields, a named schedule such as @hourly, or ''N seconds''.';
