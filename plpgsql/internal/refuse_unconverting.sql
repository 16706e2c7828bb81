-- tide.split_legacy and tide.drain_default move rows by DELETE and INSERT into a table not attached
-- yet; while tide.unconvert copies the table its capture trigger would record only the DELETE, and
-- the replay would delete the copied rows. Both refuse while an unconvert of the table is in progress.
create or replace function _tide.refuse_unconverting(parent regclass, action text, source text)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $fn$
begin
  if exists (select from _tide.unconverts u where u.parent = refuse_unconverting.parent) then
    raise exception using errcode = '55000',
      message = format('tide.unconvert of table %s is in progress', parent),
      detail = format('It copies the table''s partitions and replays the writes it records; the rows %s moves out of the %s would be recorded as deleted only, and lost.', action, source),
      hint = format('Finish the unconvert first (CALL tide.unconvert(%L)), or abandon it as docs/convert.md says; then CALL %s again.', parent::text, action);
  end if;
end
$fn$;

comment on function _tide.refuse_unconverting(regclass, text, text) is
  'Raises 55000 when a tide.unconvert of PARENT is in progress: ACTION (which moves rows out of SOURCE) would lose rows under its copy.';
