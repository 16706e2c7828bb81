-- Trigger of tide.unconvert: while the partitioned table is being copied into the plain one,
-- every row written through it is recorded, so the copy can replay it and lose nothing.
-- SECURITY DEFINER on purpose: the application's role writes the log without any right on _tide.

create or replace function _tide.unconvert_capture()
returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
set timezone = 'UTC'
set intervalstyle = 'postgres'
set extra_float_digits = 3
as $fn$
begin
  insert into _tide.unconvert_changes (parent, relid, op, old_row, new_row)
  values (tg_argv[0]::oid::regclass, tg_relid, tg_op,
          case when tg_op <> 'INSERT' then old::text end,
          case when tg_op <> 'DELETE' then new::text end);
  return null;
end
$fn$;

comment on function _tide.unconvert_capture() is
  'AFTER row trigger tide.unconvert puts on the partitioned table (argument: its oid): records each INSERT, UPDATE and DELETE as row text in _tide.unconvert_changes. Row text is written with DateStyle ISO and TimeZone UTC pinned. Takes ROW EXCLUSIVE on _tide.unconvert_changes.';
