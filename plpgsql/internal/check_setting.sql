-- Validates every write to _tide.settings: a value the views or maintenance would fail to read (a
-- typo such as '64MB' for a byte count) is refused with a hint, instead of breaking tide.health,
-- tide.recommendations or `pgtide status` for everyone at their next read.

create or replace function _tide.check_setting()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  kind    text;
  example text;
  ok      boolean := true;
  iv      interval;
  n       numeric;
begin
  -- NULL means "the default" to every reader
  if new.value is null then
    return new;
  end if;
  case new.name
    when 'log_retention', 'cron_history_retention', 'archive_pending_warning' then
      kind := 'a positive interval'; example := '''30 days''';
      begin
        iv := new.value::interval;
        ok := iv > interval '0';
      exception when others then
        ok := false;
      end;
    when 'archive_max_attempts' then
      kind := 'a whole number of at least 1'; example := '''5''';
      ok := new.value ~ '^\s*[0-9]+\s*$' and new.value::numeric between 1 and 2147483647;
    when 'tiny_partition_count' then
      kind := 'a whole number (0 or more)'; example := '''1000''';
      ok := new.value ~ '^\s*[0-9]+\s*$' and new.value::numeric <= 2147483647;
    when 'tiny_partition_bytes', 'oversized_partition_min_bytes' then
      kind := 'a whole number of bytes (0 or more)'; example := '''67108864'' (64 MB)';
      ok := new.value ~ '^\s*[0-9]+\s*$' and new.value::numeric <= 9223372036854775807;
    when 'oversized_partition_factor' then
      kind := 'a number greater than 1'; example := '''10''';
      begin
        n := new.value::numeric;
        ok := n > 1;
      exception when others then
        ok := false;
      end;
    when 'cron_job_name' then
      kind := 'a job name of 1 to 63 bytes'; example := '''pgtide-maintenance''';
      ok := octet_length(new.value) between 1 and 63;
    else
      -- cron_schedule is checked by pg_cron when tide.schedule() uses it; other names are kept as given
      ok := true;
  end case;
  if not ok then
    raise exception using errcode = '22023',
      message = format('%L is not a valid value for pgtide setting %s', new.value, new.name),
      detail = format('%s is %s.', new.name, kind),
      hint = format('For example: UPDATE _tide.settings SET value = %s WHERE name = %L;', example, new.name);
  end if;
  return new;
end
$fn$;

comment on function _tide.check_setting() is
  'Trigger: validates the value of every setting written to _tide.settings (intervals, counts, byte sizes, factors) so that the views and maintenance can always read them.';

drop trigger if exists settings_check on _tide.settings;
create trigger settings_check
  before insert or update on _tide.settings
  for each row execute function _tide.check_setting();
