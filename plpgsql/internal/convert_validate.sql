-- Step 2 of tide.convert: VALIDATE the bound CHECKs. It reads the whole table but holds only
-- SHARE UPDATE EXCLUSIVE, so application reads and writes carry on.

create or replace function _tide.convert_validate(source regclass)
returns void
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
begin
  execute format('alter table %s validate constraint tide_legacy_lower', source);
  execute format('alter table %s validate constraint tide_legacy_upper', source);
exception when check_violation then
  raise exception using errcode = '23514',
    message = format('rows of table %s fall outside the bounds chosen for its legacy partition', source),
    detail = 'Rows were written with control values outside the range read at the start of the conversion.',
    hint = 'Run tide.convert again: it recomputes the bounds.';
end
$fn$;

comment on function _tide.convert_validate(regclass) is
  'tide.convert step 2: VALIDATEs the bound CHECKs of SOURCE (SHARE UPDATE EXCLUSIVE: a full read, writes continue).';
