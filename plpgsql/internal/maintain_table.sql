-- One managed table's maintenance in the caller's transaction: create partitions through as_of +
-- premake intervals (moving default rows in their way), ensure the default partition, apply
-- retention. Lock waits are bounded (Rule 2): on timeout the table is left and 'lock_timeout' logged.

create or replace function _tide.maintain_table(
  parent regclass, as_of timestamptz default now(), run_id bigint default null,
  out outcome text, out partitions_created integer, out rows_moved bigint, out partitions_expired integer, out message text)
language plpgsql
set search_path = pg_catalog, pg_temp
set datestyle = 'ISO, YMD'
-- every query below and in the helpers it calls looks catalog and state rows up by key, which a
-- generic plan does as well as a custom one; left to choose, the plan cache would plan each of
-- them again for its first five executions in every session (every pg_cron run is a new one)
set plan_cache_mode = force_generic_plan
as $fn$
declare
  mt        _tide.managed_tables;
  started   timestamptz := clock_timestamp();
  old_lt    text := current_setting('lock_timeout');
  now_pos   bigint;
  from_pos  bigint;
  thru_pos  bigint;
  lo        bigint[];
  hi        bigint[];
  pt        regclass[];
  part_key  text;
  has_dflt  boolean;
  slot      record;
  made      record;
  made_at   timestamptz;
  lr        _tide.log;
  pending   _tide.log[] := '{}';
  in_order  boolean := true;
  kept_pt   oid[];
  kept_lo   bigint[];
  kept_hi   bigint[];
  kept_back oid[] := '{}';
  oldest_hi bigint;
  p         record;
  cutoff    bigint;
  st        text;
  msg       text;
  det       text;
  err_state text;
begin
  outcome := 'ok'; partitions_created := 0; rows_moved := 0; partitions_expired := 0;
  mt := _tide.load_existing_managed_table(parent);  -- 42P01 when dropped without tide.unmanage()
  if not mt.enabled then
    -- disabled after this run's fence step had added a fence (tide.config's trigger dropped only the
    -- fences there were): no later run would drop it, so it goes now, if that takes no wait
    begin
      perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
      perform _tide.drop_fences(parent);
    exception when lock_not_available then
      null;  -- left for tide.unmanage, or the next enable
    end;
    perform set_config('lock_timeout', old_lt, true);
    outcome := 'skipped'; message := 'maintenance is disabled for this table (tide.config.enabled)';
    perform _tide.log_action(run_id, parent, 'maintain', null, 'skipped', null, started, message => message);
    return;
  end if;
  if not pg_try_advisory_xact_lock(_tide.lock_key('maintain', parent)) then
    outcome := 'busy'; message := 'another session is maintaining this table';
    perform _tide.log_action(run_id, parent, 'maintain', null, 'busy', null, started, message => message);
    return;
  end if;
  perform set_config('lock_timeout', _tide.lock_timeout_setting(mt.lock_timeout), true);
  -- Rule 2 across statements: once this transaction holds a lock that stops application writes
  -- (ACCESS EXCLUSIVE on the parent after a drop/detach, on the default after an attach), a later
  -- lock wait would make them queue behind it too, and a backoff sleep would hold them for nothing.
  -- From then on every lock is tried once (one lock_timeout) and the rest is left to the next run.

  <<work>>
  begin
    -- the set of partitions holds still for the rest of this transaction: ATTACH, DETACH and DROP
    -- of a partition all conflict with SHARE UPDATE EXCLUSIVE on the parent (application reads and
    -- writes do not), so the listing read below, retention's judgement of it and the listing kept
    -- for the next run describe what is there, not what was there before another session's change
    begin
      perform _tide.execute_with_retry(format('lock table only %s in share update exclusive mode', mt.parent), mt.lock_retries);
    exception when lock_not_available then
      get stacked diagnostics msg = message_text;
      outcome := 'lock_timeout';
      message := format('%s (gave up after %s retries with lock_timeout %s)', msg, mt.lock_retries, mt.lock_timeout);
      exit work;
    end;
    -- whether there is a default partition, and the key of the partitions as they are now
    select pt.partdefid <> 0, _tide.listing_key(mt.parent)
      into has_dflt, part_key
      from pg_partitioned_table pt where pt.partrelid = mt.parent;
    has_dflt := coalesce(has_dflt, false);
    -- the default partition first, so rows of missing ranges have somewhere to go
    if mt.default_partition and not has_dflt then
      begin
        perform _tide.create_default_partition(mt, run_id);
        has_dflt := true;
        part_key := _tide.listing_key(mt.parent);
      exception when lock_not_available then
        get stacked diagnostics msg = message_text;
        outcome := 'lock_timeout'; message := msg;
        perform _tide.log_action(run_id, parent, 'create_default', null, 'lock_timeout', null, started, '55P03', msg);
        exit work;
      end;
    end if;

    -- create ahead: from the grid cell holding as_of (or the oldest partition, to fill gaps)
    -- one listing of the partitions serves the start of the walk, the walk, retention and the
    -- next-due time (partitions created below are added to it)
    now_pos := _tide.current_position(mt, as_of);
    if mt.listing_key is not null and mt.listing_key = part_key then
      -- no partition attached, detached or dropped since the last successful run: its listing
      -- holds, without deparsing every bound again (names are looked up: one may have been renamed)
      lo := mt.listing_lower; hi := mt.listing_upper; pt := mt.listing_partitions::regclass[];
    else
      -- one sort feeds all three arrays (an ORDER BY inside each aggregate would sort three times)
      select coalesce(array_agg(l.lower_pos), '{}'), coalesce(array_agg(l.upper_pos), '{}'),
             coalesce(array_agg(l.partition), '{}')
        into lo, hi, pt
        from (select * from _tide.list_partitions(mt) l where not l.is_default order by l.lower_pos nulls first) l;
    end if;
    -- in key order and never overlapping, the first partition reaches lowest
    -- (one from MINVALUE is walked from just below its end, so that its end is checked against the grid)
    from_pos := coalesce(lo[1], hi[1] - 1);
    thru_pos := _tide.premake_horizon(mt, now_pos);
    from_pos := least(from_pos, _tide.grid_floor(mt, now_pos));
    if mt.keep_interval is not null then
      cutoff := _tide.retention_cutoff(mt, as_of);
    elsif mt.keep_int is not null then
      cutoff := now_pos - mt.keep_int;
    end if;
    for slot in select s.lower_pos, s.upper_pos from _tide.missing_slots_among(mt, from_pos, thru_pos, lo, hi, pt) s loop
      -- a cell retention would retire at once is not created (a gap among expired partitions, such
      -- as those above a legacy partition left while split_legacy works on it)
      continue when cutoff is not null and slot.upper_pos <= cutoff;
      begin
        made_at := clock_timestamp();
        made := _tide.add_partition(mt, slot.lower_pos, slot.upper_pos);
        -- logged with the table's own row, in one INSERT at the end (what create_partition would log)
        lr := null;
        lr.action := 'create'; lr.partition := made.partition::text; lr.outcome := 'ok'; lr.rows := made.rows_moved;
        lr.message := made.message; lr.logged_at := clock_timestamp(); lr.duration := lr.logged_at - made_at;
        pending := pending || lr;
        partitions_created := partitions_created + 1;
        rows_moved := rows_moved + made.rows_moved;
        -- still in key order when the new cell lies after the last one listed (the usual case)
        in_order := in_order and (cardinality(lo) is null or lo[cardinality(lo)] is null or lo[cardinality(lo)] < slot.lower_pos);
        lo := lo || slot.lower_pos; hi := hi || slot.upper_pos; pt := pt || made.partition;
        if has_dflt then
          mt.lock_retries := 0;  -- the default is now held ACCESS EXCLUSIVE: see above
        end if;
      exception when lock_not_available then
        get stacked diagnostics msg = message_text;
        outcome := 'lock_timeout'; message := msg;
        lr := null;
        lr.action := 'create'; lr.partition := _tide.partition_name(mt, slot.lower_pos)::text; lr.outcome := 'lock_timeout';
        lr.logged_at := clock_timestamp(); lr.duration := lr.logged_at - started; lr.sqlstate := '55P03'; lr.message := msg;
        lr.detail := format('gave up after %s retries with lock_timeout %s', mt.lock_retries, mt.lock_timeout);
        pending := pending || lr;
        exit work;
      end;
    end loop;

    -- retention (below): a partition expires only when all of its range is older than as_of - keep
    if cutoff is not null then
      -- expire_partition logs each partition itself: the creations go first, as they happened
      perform _tide.insert_log(run_id, parent, pending);
      pending := '{}';
      -- bounds as text (for the log, the detached list and the archive queue) are read for the
      -- expiring partitions only
      for p in select l.partition, b.lower_bound, b.upper_bound
                 from unnest(lo, hi, pt) as l(lower_pos, upper_pos, partition)
                 cross join lateral _tide.partition_bounds(l.partition) b
                where l.upper_pos is not null and l.upper_pos <= cutoff
                order by l.lower_pos nulls first loop
        begin
          if _tide.expire_partition(mt, p.partition, p.lower_bound, p.upper_bound, run_id) then
            partitions_expired := partitions_expired + 1;
            mt.lock_retries := 0;  -- the parent is now held ACCESS EXCLUSIVE: see above
          else
            kept_back := kept_back || p.partition::oid;  -- still attached: stays in the kept listing
          end if;
        exception when lock_not_available then
          get stacked diagnostics msg = message_text;
          outcome := 'lock_timeout'; message := msg;
          perform _tide.log_action(run_id, parent, mt.on_expire, p.partition::text, 'lock_timeout', null, started, '55P03', msg,
                                   format('gave up after %s retries with lock_timeout %s', mt.lock_retries, mt.lock_timeout));
          exit work;
        when others then
          -- any other failure (a view that depends on the partition, a name already taken …) leaves
          -- this partition as it was and is recorded; the partitions created above still commit and
          -- the younger expired ones are still tried: one partition that cannot go must not stop the
          -- table's creation ahead on every run
          get stacked diagnostics st = returned_sqlstate, msg = message_text, det = pg_exception_detail;
          outcome := 'error'; err_state := st;
          message := format('%s of %s failed: %s', mt.on_expire, p.partition, msg);
          perform _tide.log_action(run_id, parent, mt.on_expire, p.partition::text, 'error', null, started, st, msg, det);
        end;
      end loop;
    end if;
  end;

  perform set_config('lock_timeout', old_lt, true);
  if outcome = 'ok' then
    message := format('%s created, %s rows moved, %s expired', partitions_created, rows_moved, partitions_expired)
               || case when cardinality(kept_back) > 0 then format(', %s left while tide.split_legacy works on it', cardinality(kept_back)) else '' end;
    -- the listing as this run leaves it (created partitions in, expired ones out, key order; one
    -- sort feeds every array) is kept with the key of the partitions it describes, for the next
    -- run; the oldest partition left gives the next-due time when keep is an interval
    if partitions_expired = 0 and in_order then
      -- nothing expired and nothing to sort: the listing as it stands (sorted, so the first partition
      -- has the lowest upper bound)
      kept_pt := pt::oid[]; kept_lo := lo; kept_hi := hi; oldest_hi := hi[1];
    else
      select coalesce(array_agg(s.part::oid), '{}'), coalesce(array_agg(s.l), '{}'), coalesce(array_agg(s.h), '{}'), min(s.h)
        into kept_pt, kept_lo, kept_hi, oldest_hi
        from (select u.* from unnest(lo, hi, pt) u(l, h, part)
               where cutoff is null or u.h is null or u.h > cutoff or u.part::oid = any (kept_back)
               order by u.l nulls first) s;
    end if;
    -- the key of the partitions as this run leaves them, read once for both columns (a subquery in
    -- the UPDATE would be pulled up and read it twice); the parent's SHARE UPDATE EXCLUSIVE keeps
    -- every other session's attach, detach and drop out until this transaction ends
    part_key := _tide.listing_key(parent);
    update _tide.managed_tables m
       set next_due_at = _tide.next_due_at(mt, as_of, oldest_hi), due_signature = _tide.due_signature_of(mt, part_key),
           listing_key = part_key,
           listing_partitions = kept_pt, listing_lower = kept_lo, listing_upper = kept_hi
     where m.parent = maintain_table.parent;
  else
    -- and the kept listing is given up: the next run reads the catalog
    update _tide.managed_tables m set next_due_at = null, listing_key = null
     where m.parent = maintain_table.parent and (m.next_due_at is not null or m.listing_key is not null);
  end if;
  -- the table's row, after the partitions it created (log_ids keep the order things happened in)
  lr := null;
  lr.action := 'maintain'; lr.outcome := outcome; lr.rows := rows_moved; lr.message := message; lr.sqlstate := err_state;
  lr.logged_at := clock_timestamp(); lr.duration := lr.logged_at - started;
  perform _tide.insert_log(run_id, parent, pending || lr);
end
$fn$;

comment on function _tide.maintain_table(regclass, timestamptz, bigint) is
  'One table''s maintenance in the caller''s transaction (no COMMIT): create ahead, move default rows, retention; logs every action. Locks the parent only under its lock_timeout.';
