-- tide.split_legacy: after tide.convert, move the legacy partition's rows into proper partitions,
-- online, oldest interval first, one committed batch at a time. A thin loop (it commits, so no SET
-- clause) over _tide.convert_split_step, which keeps all state in the catalog: stop it any time.
-- Its COMMITs are made with synchronous_commit off, as run_maintenance's are (see there).

create or replace procedure tide.split_legacy(parent regclass, batch_rows integer default 10000)
language plpgsql
as $proc$
declare
  st       record;
  t0       timestamptz := pg_catalog.clock_timestamp();
  moved    bigint := 0;
  rate     numeric;
  last_note timestamptz;
begin
  loop
    select * into st from _tide.convert_split_step(parent, batch_rows, pg_catalog.now());
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    moved := moved + st.rows;
    rate := moved / greatest(extract(epoch from pg_catalog.clock_timestamp() - t0), 0.001);
    if st.rows = 0 or st.done or last_note is null or pg_catalog.clock_timestamp() - last_note > interval '2 seconds' then
      raise notice 'pgtide: split % — % (% rows done, % left, % rows/s, ETA %)',
        parent, st.action, moved, st.rows_left, round(rate),
        case when rate > 0 then pg_catalog.make_interval(secs => round(st.rows_left / rate)) end;
      last_note := pg_catalog.clock_timestamp();
    end if;
    exit when st.done;
  end loop;
end
$proc$;

comment on procedure tide.split_legacy(regclass, integer) is
  'Moves the rows of PARENT''s legacy partition (left by tide.convert) into proper partitions, oldest interval first, BATCH_ROWS per committed transaction, with progress NOTICEs (rows moved, left, rate, ETA). Expired intervals (keep, on_expire = drop, counted back in the table''s time zone) are deleted, not copied. Refuses (55000, changing nothing) a table a foreign key references, one whose legacy partition has a row-level DELETE trigger, and one whose tide.unconvert is in progress. Safe to stop and CALL again. Takes ROW EXCLUSIVE on the legacy partition, ACCESS EXCLUSIVE on the parent for milliseconds per interval (lock_timeout from tide.config, retried). Rows of the interval being moved are invisible through the parent until that interval is attached, and writes of that interval are refused meanwhile (23514, CHECK tide_legacy_next on the legacy partition), so no key can be written twice; a duplicate key already there is refused (23505, the DELETE that resolves it in the HINT). The slice being filled gets the parent''s foreign keys and validates them before it is attached, so the attach reads nothing. CALL outside a transaction block.';
