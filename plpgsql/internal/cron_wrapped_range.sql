-- What a backward cron range (fri-mon, 22-4/3) means, written as pg_cron reads it: pg_cron does not
-- wrap a range round the end of its field, so tide.schedule's refusal says how to write it.

create or replace function _tide.cron_wrapped_range(
  field integer, first_tok text, last_tok text, first_val integer, last_val integer, step integer, lo integer, hi integer)
returns text
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $fn$
declare
  top    integer := case when field = 5 then 6 else hi end;  -- day of week: 7 is Sunday again, 0
  last   integer;
  again  integer;
begin
  if field = 5 and first_val = 7 then
    return format('%s-%s%s (0 is Sunday too)', 0, last_tok, coalesce('/' || step, ''));
  end if;
  if step is null then
    -- names stay names: the field's last and first value by name
    return format('two ranges, %s-%s,%s-%s',
                  first_tok,
                  case when first_tok ~ '^[0-9]' then top::text when field = 4 then 'dec' else 'sat' end,
                  case when last_tok ~ '^[0-9]' then lo::text when field = 4 then 'jan' else 'sun' end,
                  last_tok);
  end if;
  -- with a step the second range goes on where the first one's steps cross the field's end
  last := first_val + (top - first_val) / step * step;
  again := last + step - (top - lo + 1);
  if again > last_val then
    return format('%s-%s/%s (no step lands after the end of the field)', first_val, top, step);
  end if;
  return format('two ranges, %s-%s/%s,%s-%s/%s', first_val, top, step, again, last_val, step);
end
$fn$;

comment on function _tide.cron_wrapped_range(integer, text, text, integer, integer, integer, integer, integer) is
  'The cron ranges that mean the backward range FIRST_TOK-LAST_TOK[/STEP] of cron field FIELD (1 minute … 5 day of week, values LO..HI) read as wrapping round, for tide.schedule''s refusal; a step goes on across the end of the field.';
