-- Empties a managed table's default partition into proper partitions, committing after each step
-- so a long drain never holds its locks for long. Thin: the work is in _tide.drain_default_step.
-- Its COMMITs are made with synchronous_commit off, as run_maintenance's are (see there).

create or replace procedure tide.drain_default(parent regclass, batch_rows integer default 10000)
language plpgsql
as $fn$
declare
  moved bigint;
  total bigint := 0;
begin
  loop
    moved := _tide.drain_default_step(parent, batch_rows);
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    total := total + moved;
    exit when moved = 0;
  end loop;
  raise notice 'pgtide: % rows moved out of the default partition of %', total, parent;
end
$fn$;

comment on procedure tide.drain_default(regclass, integer) is
  'Moves rows that landed in the default partition into proper partitions (creating them), committing after about batch_rows rows; rows of one range move together. Locks: EXCLUSIVE on the default while moving, SHARE UPDATE EXCLUSIVE on the parent per ATTACH, each under lock_timeout. Refuses (55000, changing nothing) while a tide.unconvert of the table is in progress.';
