-- How often a pg_cron schedule fires, roughly, so health can tell "not run for twice its schedule".
-- Exact for the shapes pgtide documents (*/N minutes, hourly, daily); one day for anything else.

create or replace function _tide.obs_cron_period(schedule text)
returns interval
language sql immutable
set search_path = pg_catalog, pg_temp
as $fn$
  select case
    when f is null then interval '1 day'
    when s ~ '^[0-9]+ seconds?$' then make_interval(secs => split_part(s, ' ', 1)::int)
    when f[1] = '*' and f[2] = '*' then interval '1 minute'
    when f[1] ~ '^\*/[0-9]+$' and f[2] = '*' then make_interval(mins => greatest(substr(f[1], 3)::int, 1))
    when f[1] ~ '^[0-9,]+$' and f[2] = '*'
      then make_interval(mins => 60 / greatest(array_length(string_to_array(f[1], ','), 1), 1))
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^\*/[0-9]+$' then make_interval(hours => greatest(substr(f[2], 3)::int, 1))
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^[0-9]+$' and f[3] = '*' and f[4] = '*' and f[5] = '*' then interval '1 day'
    when f[1] ~ '^[0-9]+$' and f[2] ~ '^[0-9]+$' and f[3] = '*' and f[4] = '*' then interval '7 days'
    else interval '1 day'
  end
  from (select btrim(schedule) as s,
               case when array_length(regexp_split_to_array(btrim(schedule), '\s+'), 1) = 5
                    then regexp_split_to_array(btrim(schedule), '\s+') end as f) x
$fn$;

comment on function _tide.obs_cron_period(text) is
  'Approximate interval between runs of a cron schedule (exact for */N minutes, hourly, daily; 1 day otherwise). Used by tide.health.';
