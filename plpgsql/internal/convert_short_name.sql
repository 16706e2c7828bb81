-- A relation name made of BASE and SUFFIX that fits in 63 bytes: the base is shortened on a
-- character boundary, never the suffix, so convert's legacy and index names stay recognisable.

create or replace function _tide.convert_short_name(base text, suffix text)
returns text
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
declare
  b text := base;
begin
  while octet_length(b || suffix) > 63 loop
    b := left(b, length(b) - 1);
  end loop;
  return b || suffix;
end
$fn$;

comment on function _tide.convert_short_name(text, text) is
  'BASE || SUFFIX shortened (in BASE, on a character boundary) to fit the 63-byte identifier limit. Takes no locks.';
