-- Retention's detach and archive for one expired table: detach it (a standalone table, such as the
-- slice of a legacy split, is taken as it is), rename it <name>_detached or move it to the table's
-- detach_schema, list it in _tide.detached and, for archive, queue it. Logs it.

create or replace function _tide.retire_detached(mt _tide.managed_tables, partition regclass, lower_bound text, upper_bound text,
                                                 run_id bigint, started timestamptz)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
declare
  old_name text := partition::text;
  rel      name;
  head     text;
begin
  if (select c.relispartition from pg_class c where c.oid = partition) then
    perform _tide.execute_with_retry(format('alter table %s detach partition %s', mt.parent, partition), mt.lock_retries);
  end if;
  if mt.detach_schema is not null then
    execute format('alter table %s set schema %I', partition, mt.detach_schema);
  else
    select c.relname into rel from pg_class c where c.oid = partition;
    head := rel;
    while octet_length(head || '_detached') > 63 loop
      head := left(head, length(head) - 1);
    end loop;
    execute format('alter table %s rename to %I', partition, head || '_detached');
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
  'Retention''s detach and archive: detaches an expired partition (a standalone table as it is), renames it <name>_detached or moves it to detach_schema, lists it in _tide.detached, queues it for archive; logs it.';
