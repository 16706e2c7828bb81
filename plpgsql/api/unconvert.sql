-- tide.unconvert: the undo of tide.convert — a managed partitioned table becomes one plain table
-- again. A procedure because the copy commits batch by batch; it is a thin loop over the
-- search_path-locked _tide.unconvert_* functions, so it carries no SET clause itself.
-- Its COMMITs are made with synchronous_commit off, as run_maintenance's are (see there).

create or replace procedure tide.unconvert(parent regclass, batch_rows integer default 10000)
language plpgsql
as $proc$
declare
  plan       jsonb;
  res        jsonb;
  st         record;
  name       text := parent::text;
  t0         timestamptz := pg_catalog.clock_timestamp();
  moved      bigint := 0;
  rate       numeric;
  last_note  timestamptz;
begin
  plan := _tide.unconvert_preflight(parent, batch_rows);
  raise notice 'pgtide: unconvert % — about % rows in % partitions, %',
    name, plan->>'rows_estimate', plan->>'partitions', pg_catalog.pg_size_pretty((plan->>'total_bytes')::bigint);
  if plan->>'path' = 'detach' then
    raise notice 'pgtide: plan: detach % (all rows but % are in it) and give it the name %', plan->>'keep_partition', plan->>'rows_elsewhere', name;
    res := _tide.unconvert_locked(parent, 'detach', batch_rows);
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    if (res->>'done')::boolean then
      raise notice 'pgtide: % is a plain table again (was partition %; % rows moved into it), lock held % ms (attempt %)',
        name, res->>'kept_partition', res->>'rows_moved', res->>'lock_ms', res->>'attempts';
      return;
    end if;
    raise notice 'pgtide: more than % rows arrived outside %; copying instead', batch_rows, plan->>'keep_partition';
  end if;
  res := _tide.unconvert_start(parent);
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
  raise notice 'pgtide: %: copying % rows into %, oldest partition first, % per batch; writes continue and are replayed',
    case when (res->>'resumed')::boolean then 'resuming' else 'started' end, res->>'rows_total', res->>'target', batch_rows;
  loop
    select * into st from _tide.unconvert_step(parent, batch_rows);
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    moved := moved + st.rows;
    rate := moved / greatest(extract(epoch from pg_catalog.clock_timestamp() - t0), 0.001);
    if st.done or last_note is null or pg_catalog.clock_timestamp() - last_note > interval '2 seconds' then
      raise notice 'pgtide: unconvert % — % (% rows moved, % left, % rows/s)', name, st.action, moved, st.rows_left, round(rate);
      last_note := pg_catalog.clock_timestamp();
    end if;
    exit when st.done;
  end loop;
end
$proc$;

comment on procedure tide.unconvert(regclass, integer) is
  'Turns managed partitioned table PARENT back into one plain table of the same name and shape (indexes, grants, defaults, identity position, sequences, comments, owner, triggers) and unmanages it; refuses (changing nothing) when that is not safe. When one partition holds all rows but at most BATCH_ROWS, it is detached and renamed in one short transaction; otherwise rows are copied oldest partition first, BATCH_ROWS per committed transaction, while a trigger records concurrent writes, which are replayed; the final swap holds ACCESS EXCLUSIVE on PARENT and its partitions briefly (lock_timeout from tide.config, retried). Safe to stop and CALL again. CALL outside a transaction block.';
