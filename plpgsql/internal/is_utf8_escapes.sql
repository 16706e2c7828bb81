-- Whether every run of %XX escapes in a URI decodes to UTF-8, as the archive exporter decodes a
-- target's path (JavaScript's decodeURIComponent refuses anything else).

create or replace function _tide.is_utf8_escapes(uri text)
returns boolean
language plpgsql immutable strict
set search_path = pg_catalog, pg_temp
as $fn$
declare
  run text;
begin
  for run in select m[1] from regexp_matches(uri, '((?:%[0-9A-Fa-f]{2})+)', 'g') m loop
    begin
      perform convert(decode(replace(run, '%', ''), 'hex'), 'UTF8', 'UTF8');  -- validates, whatever the database's encoding
    exception when character_not_in_repertoire or untranslatable_character then
      return false;
    end;
  end loop;
  return true;
end
$fn$;

comment on function _tide.is_utf8_escapes(text) is
  'True when every run of %XX escapes in URI decodes to valid UTF-8 (what the archive exporter can decode in a target''s path). Takes no locks.';
