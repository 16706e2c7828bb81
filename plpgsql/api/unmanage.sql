-- Stops managing a table; every partition and every row stays where it is.

create or replace function tide.unmanage(parent regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt     _tide.managed_tables;
  old_lt text := current_setting('lock_timeout');
  left_over text;
  busy      boolean := false;
  copied_to regclass;
  slice     regclass;
begin
  mt := _tide.load_managed_table(parent);  -- TD001 when not managed
  -- a table still there with a conversion under way: unmanaged, it could never finish (its steps
  -- need the settings), and what it holds outside the table would stay there
  if mt.parent_name is not null then
    if exists (select from _tide.unconverts u where u.parent = unmanage.parent) then
      raise exception using errcode = '55000',
        message = format('tide.unconvert of table %s is in progress', parent),
        detail = 'Its trigger records every write to the table for the copy it is making; unmanaged, the unconvert could not finish, and the trigger would go on recording.',
        hint = format('Finish it (CALL tide.unconvert(%L)) or abandon it as docs/convert.md says; then call tide.unmanage again.', parent::text);
    end if;
    select l.slice into slice from _tide.legacy l
     where l.parent = unmanage.parent and l.state = 'splitting'
       and exists (select from pg_class c where c.oid = l.slice and not c.relispartition);
    if found then
      raise exception using errcode = '55000',
        message = format('tide.split_legacy of table %s is in progress', parent),
        detail = format('Its slice %s holds rows moved out of the legacy partition, attached to the table only when the split of its interval finishes; unmanaged, it never would be.', slice),
        hint = format('Finish the split first: CALL tide.split_legacy(%L); then call tide.unmanage again.', parent::text);
    end if;
  end if;
  -- the default partition's fence (a CHECK of ours) goes too, if that can be done without waiting
  -- past the table's lock_timeout; otherwise say how to drop it
  begin
    perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
    perform _tide.drop_fences(parent);
    perform set_config('lock_timeout', old_lt, true);
  exception when lock_not_available then
    perform set_config('lock_timeout', old_lt, true);
    busy := true;
    raise notice 'pgtide: the default partition of % is busy; its tide_fence_* CHECK constraint stays', parent
      using hint = 'Drop it later with ALTER TABLE <default partition> DROP CONSTRAINT <tide_fence_…>; until then the default refuses rows of the range in its name.';
  end;
  -- a restore's fence stays while its restore holds the table (the restore drops it); say so, as no
  -- run will drop it once the table is no longer managed
  select string_agg(format('ALTER TABLE %s DROP CONSTRAINT %I;', k.conrelid::regclass, k.conname), ' ') into left_over
    from pg_partitioned_table pt join pg_constraint k on k.conrelid = pt.partdefid
   where pt.partrelid = unmanage.parent and k.conname ~ '^tide_fence_restore_';
  if left_over is not null and not busy then
    raise notice 'pgtide: a tide_fence_* CHECK stays on the default partition of % (a restore --attach holds the table, or held it when it stopped)', parent
      using hint = format('A running restore drops it itself; once none runs: %s  Until then the default refuses rows of the range in its name.', left_over);
  end if;
  delete from _tide.managed_tables m where m.parent = unmanage.parent;
  if mt.parent_name is null then
    -- dropped without unmanage: its conversion state goes with its settings (no legacy partition is
    -- left to split, nothing to copy back; the oid could one day name another table)
    -- (the unconvert's row before its changes, in the order its steps lock them)
    delete from _tide.legacy l where l.parent = unmanage.parent returning l.slice into slice;
    delete from _tide.unconverts u where u.parent = unmanage.parent returning u.target into copied_to;
    delete from _tide.unconvert_changes u where u.parent = unmanage.parent;
    -- the tables they were filling are the user's rows: they stay, named (each still a plain table
    -- of the name pgtide gave it, not another that took its oid since)
    if exists (select from pg_class c where c.oid = slice and c.relkind = 'r' and not c.relispartition) then
      raise notice 'pgtide: the slice % of a split under way stays, with the rows it had moved out of the legacy partition', slice
        using hint = format('Keep its rows or drop it: DROP TABLE %s;', slice);
    end if;
    if exists (select from pg_class c where c.oid = copied_to and c.relkind = 'r' and not c.relispartition
                                        and c.relname ~ '_unconverted$') then
      raise notice 'pgtide: the copy % of an unconvert under way stays (the table it was copying is gone)', copied_to
        using hint = format('Drop it if it is of no use: DROP TABLE %s;', copied_to);
    end if;
  end if;
  perform _tide.log_action(null, parent, 'unmanage', null, 'ok');
end
$fn$;

comment on function tide.unmanage(regclass) is
  'Stops pgtide managing a table; partitions and rows stay (of a table dropped without it, its conversion state goes too; refused, 55000, while an unconvert or a split of a table still there is under way). Drops the default partition''s tide_fence_* CHECK (a moment of ACCESS EXCLUSIVE on the default, under the table''s lock_timeout; left with a NOTICE when busy, and a restore''s while that restore holds the table, with a NOTICE giving the statement that drops it); takes no other lock.';
