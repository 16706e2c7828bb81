-- First step of tide.unconvert's copy path: the empty plain table with the parent's shape, the
-- capture trigger that records every later write, and the per-partition cursors. One transaction;
-- when an unconvert is already in progress it changes nothing (resume).

create or replace function _tide.unconvert_start(parent regclass)
returns jsonb
language plpgsql volatile
set search_path = pg_catalog, pg_temp
as $fn$
declare
  mt      _tide.managed_tables := _tide.load_existing_managed_table(parent);
  u       _tide.unconverts;
  plan    jsonb;
  key     name[];
  target  regclass;
  r       record;
  n       bigint;
  old_lt  text := current_setting('lock_timeout');
begin
  select * into u from _tide.unconverts x where x.parent = unconvert_start.parent;
  if found then
    return jsonb_build_object('target', u.target::text, 'resumed', true, 'rows_total', u.rows_total);
  end if;
  plan := _tide.unconvert_preflight(parent, 1);
  if jsonb_typeof(plan->'key') is distinct from 'array' then
    raise exception using errcode = '55000',
      message = format('table %s has no primary key or unique index on NOT NULL columns', parent),
      detail = 'Rows are spread over several partitions, so tide.unconvert copies them while writes continue and replays the writes by key.',
      hint = 'Add a primary key (or a unique index on NOT NULL columns, without expressions or predicate) to the table, then CALL tide.unconvert again.';
  end if;
  select array(select jsonb_array_elements_text(plan->'key')) into key;
  if to_regclass(format('%I.%I', plan->>'schema', plan->>'target_name')) is not null then
    raise exception using errcode = '42P07',
      message = format('relation %I.%I already exists', plan->>'schema', plan->>'target_name'),
      detail = format('tide.unconvert copies %s into a new plain table of that name before the swap.', parent),
      hint = 'Rename or drop that relation first.';
  end if;

  execute format('create table %I.%I (like %s including all)', plan->>'schema', plan->>'target_name', parent);
  target := format('%I.%I', plan->>'schema', plan->>'target_name')::regclass;
  for r in select conname, pg_get_constraintdef(oid) as def from pg_constraint
            where conrelid = parent and contype = 'f' and conparentid = 0 loop
    execute format('alter table %s add constraint %I %s', target, r.conname, r.def);
  end loop;

  -- from here on every write through the table is recorded (SHARE ROW EXCLUSIVE, briefly, retried)
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  begin
    perform _tide.execute_with_retry(format('create trigger tide_unconvert_capture after insert or update or delete on %s '
                                            'for each row execute function _tide.unconvert_capture(%s)', parent, parent::oid),
                                     mt.lock_retries);
  exception when lock_not_available then
    raise exception using errcode = '55P03',
      message = format('could not lock table %s to add tide.unconvert''s capture trigger within %s, %s times', parent, mt.lock_timeout, mt.lock_retries + 1),
      detail = 'Long transactions or queries hold locks on the table. Nothing was changed.',
      hint = 'CALL tide.unconvert again when the table is quieter (see pg_locks / pg_stat_activity), or raise tide.config.lock_timeout.';
  end;
  perform set_config('lock_timeout', old_lt, true);
  -- again under the trigger's lock: a split step that committed while it waited (the first one
  -- leaves rows in a table not attached yet) is seen now, and no other can run until this commits
  perform _tide.unconvert_preflight(parent, 1);

  execute format('select count(*) from %s', parent) into n;
  insert into _tide.unconverts (parent, parent_oid, parent_name, target, key_columns, was_enabled, rows_total)
  values (parent, parent, parent::text, target, key, mt.enabled, n);
  insert into _tide.unconvert_progress (parent, partition)
  select unconvert_start.parent, p.partition from _tide.list_partitions(mt) p;
  -- retention and partition moves wait until the table is plain (or the unconvert is abandoned)
  update _tide.managed_tables m set enabled = false where m.parent = unconvert_start.parent;
  return jsonb_build_object('target', target::text, 'resumed', false, 'rows_total', n);
end
$fn$;

comment on function _tide.unconvert_start(regclass) is
  'tide.unconvert copy path, step 1: creates the plain table LIKE PARENT INCLUDING ALL (plus its foreign keys), adds the capture trigger (SHARE ROW EXCLUSIVE on PARENT and its partitions, briefly, lock_timeout from tide.config, retried), records the cursors and disables maintenance of PARENT. Does nothing when an unconvert of PARENT is already in progress.';
