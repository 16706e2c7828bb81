-- Retention's detach and archive for one expired table: detach it (a standalone table, such as the
-- slice of a legacy split, is taken as it is), rename it <name>_detached (_tide.detached_name) or move
-- it to the table's detach_schema, list it in _tide.detached and, for archive, queue it. Logs it.
-- A new name already taken by another relation is 42P07, raised before the partition is detached.

create or replace function _tide.retire_detached(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text,
                                                 run_id bigint, started timestamptz)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  old_name text := partition::text;
  rel      name;
  nsp      name;
  new_name name;
  other    regclass;
  attached boolean;
begin
  -- the name it will have, looked at before it is detached: one taken by another relation is an
  -- error that keeps the partition where it is (the run is rolled back), never a silent reuse
  select c.relname, n.nspname, c.relispartition into rel, nsp, attached
    from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.oid = partition;
  if mt.detach_schema is not null then
    nsp := mt.detach_schema;
    new_name := rel;
  else
    new_name := _tide.detached_name(mt, rel, _tide.key_position(mt, lower_bound));
  end if;
  select c.oid into other
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where n.nspname = nsp and c.relname = new_name and c.oid <> partition;
  if other is not null then
    raise exception using errcode = 'duplicate_table',
      message = format('relation %I.%I already exists: expired partition %s of %s cannot be detached under that name',
                       nsp, new_name, old_name, mt.parent),
      detail = format('on_expire %L gives %s the name %I.%I, which another relation has (a partition detached earlier keeps its name until it is dropped).',
                      mt.on_expire, old_name, nsp, new_name),
      hint = case when mt.on_expire = 'archive'
                  then 'Once that table''s archive job has dropped it, the next run goes on; or rename or drop that relation, then run maintenance again.'
                  else 'Rename or drop that relation (or set tide.config.detach_schema), then run maintenance again.' end;
  end if;

  if attached then
    perform _tide.execute_with_retry(format('alter table %s detach partition %s', mt.parent, partition), mt.lock_retries);
  end if;
  if mt.detach_schema is not null then
    execute format('alter table %s set schema %I', partition, mt.detach_schema);
  else
    execute format('alter table %s rename to %I', partition, new_name);
  end if;
  insert into _tide.detached (partition, parent_oid, parent, lower_bound, upper_bound, reason)
  values (partition, mt.parent, mt.parent::text, lower_bound, upper_bound,
          case when mt.on_expire = 'archive' then 'archive' else 'retention' end);
  if mt.on_expire = 'archive' then
    -- the archive queue is another component's; called dynamically so this file loads without it
    execute 'select _tide.enqueue_archive($1, $2, $3, $4)' using mt.parent, partition, lower_bound, upper_bound;
  end if;
  perform _tide.log_action(run_id, mt.parent, case when mt.on_expire = 'archive' then 'archive' else 'detach' end,
                           partition::text, 'ok', null, started,
                           detail => format('was %s, range [%s, %s)', old_name, coalesce(lower_bound, 'MINVALUE'), upper_bound));
end
$fn$;

comment on function _tide.retire_detached(_tide.managed_tables, regclass, text, text, bigint, timestamptz) is
  'Retention''s detach and archive: detaches an expired partition (a standalone table as it is), renames it <name>_detached (shortened in its parent part, never its suffix) or moves it to detach_schema, lists it in _tide.detached, queues it for archive; logs it. Raises 42P07, before detaching, when that name is taken by another relation.';
