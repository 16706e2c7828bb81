-- The scheduled entry point: maintains every enabled managed table (or one), committing after each
-- so one table's failure or lock timeout never undoes or stops another's. Thin by design: a SET
-- clause would forbid COMMIT, so every name is schema-qualified and the work is in _tide.maintain_table.
--
-- Every COMMIT here (and in pgtide's other procedures) is made with synchronous_commit off, for that
-- transaction only: a commit still holding the locks of an ATTACH, DROP or DETACH never waits for a
-- WAL flush or a synchronous standby, so a lagging standby cannot keep application queries queued
-- behind maintenance (Rule 2). A crash may forget the last of these commits, never half of one; any
-- later synchronous commit (an application write to a new partition) flushes them first, as WAL is
-- written in order; and the next run redoes what was forgotten (docs/engine.md, "Commits").

create or replace procedure tide.run_maintenance(parent regclass default null, as_of timestamptz default now())
language plpgsql
as $fn$
declare
  rid      bigint;
  tables   regclass[];
  defaults oid[];
  fenced_at_start boolean[];
  timeouts text[];
  i        integer;
  t        regclass;
  res      record;
  n_ok     integer := 0;
  n_skip   integer := 0;
  n_fail   integer := 0;
  st       text;
  msg      text;
  det      text;
  retention interval;
  fence    name;
  fenced   text;
  first_kept bigint;
  old_lt   text;
  install_key bigint := _tide.lock_key('install');
  table_key bigint;
begin
  if pg_catalog.pg_is_in_recovery() then
    return;  -- a standby cannot write; the primary's run does the work
  end if;
  -- Rule 8: look at the installer's lock before touching any _tide table: an install or upgrade
  -- in progress may hold them ACCESS EXCLUSIVE (migrations) until it commits. The skip is
  -- recorded only if that can be done without waiting.
  if not pg_catalog.pg_try_advisory_xact_lock_shared(install_key) then
    old_lt := pg_catalog.current_setting('lock_timeout');
    begin
      perform pg_catalog.set_config('lock_timeout', '50ms', true);
      insert into _tide.runs (as_of, only_parent, outcome, finished_at)
      values (as_of, parent, 'skipped', pg_catalog.clock_timestamp());
    exception when lock_not_available then
      raise notice 'pgtide: maintenance skipped: pgtide is being installed or upgraded';
    end;
    perform pg_catalog.set_config('lock_timeout', old_lt, true);  -- the caller's transaction goes on as it was
    return;
  end if;
  -- generic plans for this transaction's queries (key lookups), as maintain_table's SET clause
  -- gives its own: left to choose, the plan cache plans each query again for its first five
  -- executions in a session. A procedure that commits may have no SET clause: set for the run row's
  -- transaction here (past the early returns, which leave the caller's transaction as it was) and
  -- for the housekeeping's below (the tables' are maintain_table's).
  perform pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true);
  if parent is not null then
    perform _tide.load_managed_table(parent);  -- TD001 when not managed
  end if;
  -- a table with nothing due since its last successful run, and no change to its partitions or
  -- settings since, is skipped here in one query (the common case when pg_cron fires) and counted ok
  -- with each due table its default partition and lock timeout, to look at the default's size
  -- (aggregate arguments are evaluated only for the rows their FILTER lets through)
  select pg_catalog.array_agg(m.parent order by m.parent_schema, m.parent_name, m.parent) filter (where m.due),
         pg_catalog.array_agg((select pt.partdefid from pg_catalog.pg_partitioned_table pt where pt.partrelid = m.parent)
                              order by m.parent_schema, m.parent_name, m.parent) filter (where m.due),
         pg_catalog.array_agg(_tide.lock_timeout_setting(m.lock_timeout)
                              order by m.parent_schema, m.parent_name, m.parent) filter (where m.due),
         pg_catalog.count(*) filter (where not m.due)
    into tables, defaults, timeouts, n_ok
    from (select m.parent, m.parent_schema, m.parent_name, m.lock_timeout,
                 (m.next_due_at is null or m.next_due_at <= as_of or m.due_signature is distinct from _tide.due_signature(m)) as due
            from _tide.managed_tables m
           where (run_maintenance.parent is null or m.parent = run_maintenance.parent) and m.enabled
          offset 0) m;  -- not pulled up: each FILTER would evaluate due_signature again
  if tables is null then
    -- an idle run (the common case) is one transaction and one row, recorded finished
    insert into _tide.runs (as_of, only_parent, outcome, finished_at, tables_ok, tables_skipped, tables_failed)
    values (as_of, parent, 'ok', pg_catalog.clock_timestamp(), n_ok, 0, 0) returning run_id into rid;
  else
    -- which due tables' defaults carry a fence of an earlier run: one query for the run (in a run
    -- with work only; an idle run plans nothing more), where each table's transaction would ask again
    select pg_catalog.array_agg(exists (select from pg_catalog.pg_constraint k where k.conrelid = d.dflt and k.conname ~ '^tide_fence_')
                                order by d.i)
      into fenced_at_start
      from unnest(defaults) with ordinality as d(dflt, i);
    insert into _tide.runs (as_of, only_parent) values (as_of, parent) returning run_id into rid;
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;  -- the per-table transactions below log against this run
  end if;

  for i in 1 .. coalesce(pg_catalog.cardinality(tables), 0) loop
    t := tables[i];
    if not pg_catalog.pg_try_advisory_xact_lock_shared(install_key) then
      -- an install started: leave the rest to the next run
      perform _tide.log_action(rid, t, 'maintain', null, 'skipped', message => 'pgtide is being installed or upgraded');
      n_skip := n_skip + 1;
      perform pg_catalog.set_config('synchronous_commit', 'off', true);
      commit;
      continue;
    end if;
    -- a non-empty default partition first gets a fence over the cells about to be created, added
    -- and validated in transactions of their own, so the ATTACHes below scan nothing (fence_default)
    fence := null;
    table_key := _tide.lock_key('maintain', t);
    begin
      -- a default that never held a row has no pages: no fence to consider, unless an earlier run
      -- left one, which goes once it no longer serves (the size looked at under the table's lock
      -- timeout, as it needs a lock on the default; the fences as the run found them when it
      -- started: a run adds one only to a default with pages)
      if pg_catalog.pg_try_advisory_xact_lock(table_key) and defaults[i] <> 0 then
        perform pg_catalog.set_config('lock_timeout', timeouts[i], true);
        if pg_catalog.pg_relation_size(defaults[i]) > 0 or fenced_at_start[i] then
          fence := _tide.fence_default(_tide.load_managed_table(t), as_of);
        end if;
      end if;
    exception when others then
      -- maintain_table below meets the same condition and records it; creation still works unfenced
      get stacked diagnostics st = returned_sqlstate, msg = message_text;
      perform _tide.log_action(rid, t, 'fence', null, case when st = '55P03' then 'lock_timeout' else 'error' end,
                               sqlstate => st, message => msg);
    end;
    if fence is not null then
      perform pg_catalog.set_config('synchronous_commit', 'off', true);
      commit;
      begin
        fenced := _tide.validate_fence(_tide.load_managed_table(t), fence);
        perform _tide.log_action(rid, t, 'fence', fence, case when fenced = 'validated' then 'ok' else 'skipped' end,
                                 message => case when fenced <> 'validated'
                                                 then 'the default partition holds rows of the fenced range; they are moved on creation' end);
      exception when others then
        get stacked diagnostics st = returned_sqlstate, msg = message_text;
        perform _tide.log_action(rid, t, 'fence', fence, case when st = '55P03' then 'lock_timeout' else 'error' end,
                                 sqlstate => st, message => msg);
      end;
      perform pg_catalog.set_config('synchronous_commit', 'off', true);
      commit;
    end if;
    begin
      if not pg_catalog.pg_try_advisory_xact_lock(table_key) then
        perform _tide.log_action(rid, t, 'maintain', null, 'busy', message => 'another session is maintaining this table');
        n_skip := n_skip + 1;
      else
        res := _tide.maintain_table(t, as_of, rid);  -- an expression: no portal for one row
        if res.outcome = 'ok' then n_ok := n_ok + 1;
        elsif res.outcome = 'error' then n_fail := n_fail + 1;  -- retention failed; what was created is kept
        else n_skip := n_skip + 1; end if;
      end if;
    exception when others then
      get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail;
      perform _tide.log_action(rid, t, 'maintain', null, 'error', sqlstate => st, message => msg, detail => det);
      n_fail := n_fail + 1;
      -- whatever failed, the next run reads the catalog rather than the listing kept for this table
      begin
        perform pg_catalog.set_config('lock_timeout', '100ms', true);
        update _tide.managed_tables m set listing_key = null where m.parent = t and m.listing_key is not null;
      exception when lock_not_available then
        raise notice 'pgtide: kept listing of % not cleared (its row is locked); the next run re-checks its key', t;
      end;
    end;
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
  end loop;

  -- Housekeeping never fails a run or makes it wait: rows another run is deleting at the same time
  -- are left to it (a short lock_timeout, restored before the run row), and any other error (a
  -- malformed retention setting …) is reported as a warning, the run row below still finished.
  old_lt := pg_catalog.current_setting('lock_timeout');
  perform pg_catalog.set_config('lock_timeout', '100ms', true);
  perform pg_catalog.set_config('plan_cache_mode', 'force_generic_plan', true);
  -- the log and the run history are pruned in every 10th run, with work or without: a run stays a
  -- handful of statements beyond its tables' own (an idle run is the common case when pg_cron fires
  -- every minute), and the rows pruning would take are never more than ten runs' worth
  if rid % 10 = 0 then
    begin
      select coalesce(s.value, '30 days')::interval into retention from _tide.settings s where s.name = 'log_retention';
      retention := coalesce(retention, interval '30 days');
      -- pruning walks the primary keys from the oldest row (ids grow with time), so a run with
      -- nothing to prune reads one index entry per table, not the whole log
      -- (one DELETE per case: a generic plan of one DELETE for both could not use the key)
      select l.log_id into first_kept from _tide.log l where l.logged_at >= pg_catalog.now() - retention order by l.log_id limit 1;
      if first_kept is not null then
        delete from _tide.log l where l.log_id < first_kept;
      else
        delete from _tide.log l where l.logged_at < pg_catalog.now() - retention;
      end if;
      select r.run_id into first_kept from _tide.runs r where r.started_at >= pg_catalog.now() - retention order by r.run_id limit 1;
      if first_kept is not null then
        delete from _tide.runs r where r.run_id < first_kept and r.run_id <> rid;
      else
        delete from _tide.runs r where r.started_at < pg_catalog.now() - retention and r.run_id <> rid;
      end if;
    exception when lock_not_available then
      raise notice 'pgtide: maintenance log not pruned this run (another run is pruning it): %', sqlerrm;
    when others then
      raise warning 'pgtide: maintenance log not pruned this run: % (SQLSTATE %)', sqlerrm, sqlstate
        using hint = 'Check _tide.settings.log_retention (an interval, e.g. ''30 days''); the next run tries again.';
    end;
  end if;
  -- pg_cron never prunes cron.job_run_details: drop our own job's old rows (a no-op where pg_cron
  -- is not visible or we may not delete); a brief row lock held by pg_cron is not worth waiting for.
  -- That table has no index to find old rows by, so the delete reads all of it: done in every 60th
  -- run (hourly when pg_cron fires every minute, every 10 hours at the default schedule), with work
  -- or without: in every run with work it cost ≈ 0.3 ms, a tenth of a one-table run.
  if rid % 60 = 0 then
    begin
      perform _tide.prune_cron_history(pg_catalog.now());
    exception when lock_not_available or insufficient_privilege then
      raise notice 'pgtide: cron.job_run_details not pruned this run: %', sqlerrm;
    when others then
      raise warning 'pgtide: cron.job_run_details not pruned this run: % (SQLSTATE %)', sqlerrm, sqlstate
        using hint = 'Check _tide.settings.cron_history_retention (an interval, e.g. ''7 days''); the next run tries again.';
    end;
  end if;
  -- the run row waits as long as anything else of the run would, not 100 ms
  perform pg_catalog.set_config('lock_timeout', old_lt, true);
  if tables is not null then
    update _tide.runs r
       set finished_at = pg_catalog.clock_timestamp(), tables_ok = n_ok, tables_skipped = n_skip, tables_failed = n_fail,
           outcome = case when n_fail = 0 and n_skip = 0 then 'ok'
                          when n_ok = 0 and n_skip = 0 then 'failed'
                          else 'partial' end
     where r.run_id = rid;
  end if;
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
end
$fn$;

comment on procedure tide.run_maintenance(regclass, timestamptz) is
  'Maintains every enabled managed table (or only PARENT) as of AS_OF: creates ahead, moves default rows, applies retention; commits after each table, skips busy ones, records failures and keeps going; returns at once on a standby. Locks: per parent SHARE UPDATE EXCLUSIVE (create) or brief ACCESS EXCLUSIVE (drop/detach), each under the table''s lock_timeout.';
