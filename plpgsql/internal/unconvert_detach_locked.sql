-- tide.unconvert's cheap path, with ACCESS EXCLUSIVE held on the partitioned table: when one
-- partition holds all rows but at most batch_rows (right after tide.convert, the legacy partition),
-- detach it, move the few others' rows into it, and give it the table's name. Nothing is copied twice.

create or replace function _tide.unconvert_detach_locked(parent regclass, batch_rows integer)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  plan     jsonb := _tide.unconvert_preflight(parent, batch_rows);  -- again, under the lock
  keep     regclass;
  idx_map  jsonb;
  cols     text;
  r        record;
  moved    bigint := 0;
  n        bigint;
begin
  if plan->>'path' <> 'detach' then
    return jsonb_build_object('done', false, 'rows_elsewhere', plan->'rows_elsewhere');
  end if;
  keep := (plan->>'keep_partition')::regclass;
  select jsonb_object_agg(i.indexrelid::text, c.relname) into idx_map
    from pg_index i join pg_inherits inh on inh.inhrelid = i.indexrelid join pg_class c on c.oid = inh.inhparent
   where i.indrelid = keep;
  execute format('alter table %s detach partition %s', parent, keep);
  for r in select conname from pg_constraint where conrelid = keep and contype = 'c'
              and conname in ('tide_legacy_lower', 'tide_legacy_upper', 'tide_legacy_next', 'tide_legacy_slice') loop
    execute format('alter table %s drop constraint %I', keep, r.conname);
  end loop;
  select string_agg(quote_ident(a.attname), ', ' order by a.attnum) into cols
    from pg_attribute a where a.attrelid = parent and a.attnum > 0 and not a.attisdropped and a.attgenerated = '';
  for r in select i.inhrelid::regclass as part from pg_inherits i where i.inhparent = parent loop
    execute format('insert into %s (%s) overriding system value select %s from %s', keep, cols, cols, r.part);
    get diagnostics n = row_count;
    moved := moved + n;
  end loop;
  return _tide.unconvert_swap_locked(parent, keep, idx_map)
         || jsonb_build_object('done', true, 'kept_partition', plan->>'keep_partition', 'rows_moved', moved);
end
$fn$;

comment on function _tide.unconvert_detach_locked(regclass, integer) is
  'Body of tide.unconvert''s detach path; expects ACCESS EXCLUSIVE on PARENT and its partitions already held (call _tide.unconvert_locked). Returns done = false, changing nothing, when more than BATCH_ROWS rows lie outside the largest partition.';
