-- tide.convert: a plain table with data becomes a managed partitioned table without a rewrite.
-- A procedure because it needs three transactions (add CHECK NOT VALID, VALIDATE, swap); it is a
-- thin loop over search_path-locked _tide.convert_* functions, so it carries no SET clause itself.
-- Its COMMITs are made with synchronous_commit off, as run_maintenance's are (see there).

create or replace procedure tide.convert(
  source regclass, control name, every text, premake integer default 4, keep text default null,
  on_expire text default 'drop', time_zone text default 'UTC', default_partition boolean default true,
  dry_run boolean default false)
language plpgsql
as $proc$
declare
  plan    jsonb;
  result  jsonb;
  step    text;
  t0      timestamptz := clock_timestamp();
  dropped   boolean;
  e_step    text;
  e_state   text;
  e_message text;
  e_detail  text;
  e_hint    text;
begin
  plan := _tide.convert_preflight(source, control, every, premake, keep, on_expire, time_zone,
                                  default_partition, pg_catalog.now(), true);
  raise notice 'pgtide: convert % — about % rows, % (% with indexes); control % from % to %',
    source, plan->>'rows_estimate', pg_catalog.pg_size_pretty((plan->>'table_bytes')::bigint),
    pg_catalog.pg_size_pretty((plan->>'total_bytes')::bigint), control,
    coalesce(plan->>'min', '(no rows)'), coalesce(plan->>'max', '(no rows)');
  for step in select pg_catalog.jsonb_array_elements_text(plan->'steps') loop
    raise notice 'pgtide: plan: %', step;
  end loop;
  if dry_run then
    raise notice 'pgtide: dry run — nothing changed';
    return;
  end if;

  perform _tide.convert_add_checks(source, control, (plan->>'control_type')::regtype,
                                   plan->>'lower_bound', plan->>'upper_bound');
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
  raise notice 'pgtide: CHECK added NOT VALID; validating (writes continue)';
  -- from here on the plain table carries the CHECKs: a failure must not leave them behind
  begin
    perform _tide.convert_validate(source);
  exception when others or query_canceled then  -- statement_timeout too: OTHERS does not cover it
    get stacked diagnostics e_state = returned_sqlstate, e_message = message_text,
                            e_detail = pg_exception_detail, e_hint = pg_exception_hint;
    e_step := 'the VALIDATE';
  end;
  if e_state is null then
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    raise notice 'pgtide: CHECK validated in %; swapping', pg_catalog.clock_timestamp() - t0;
    begin
      result := _tide.convert_swap(plan);
    exception when others or query_canceled then
      get stacked diagnostics e_state = returned_sqlstate, e_message = message_text,
                              e_detail = pg_exception_detail, e_hint = pg_exception_hint;
      e_step := 'the swap';
    end;
  end if;
  if e_state is not null then
    -- the failed step rolled back; drop the CHECKs in a short transaction of their own, commit
    -- that, then raise the step's error (a bare RAISE would roll the drop back with it)
    rollback;
    raise notice 'pgtide: % failed (%: %); dropping the CHECKs tide_legacy_lower and tide_legacy_upper again',
      e_step, e_state, e_message;
    e_detail := nullif(e_detail, '');
    e_hint := nullif(e_hint, '');
    if e_hint is null then  -- a PostgreSQL error, not one of ours: say what it interrupted
      e_message := pg_catalog.format('%s of table %s failed: %s', e_step, source, e_message);
    end if;
    dropped := _tide.convert_drop_checks(source);
    perform pg_catalog.set_config('synchronous_commit', 'off', true);
    commit;
    -- the step's error, with what became of the CHECKs
    if dropped then
      e_detail := pg_catalog.concat_ws(' ', e_detail,
        pg_catalog.format('tide.convert dropped its CHECKs tide_legacy_lower and tide_legacy_upper again: table %s is as it was.', source));
      e_hint := coalesce(e_hint, 'Fix the cause and run tide.convert again.');
    else
      e_detail := pg_catalog.concat_ws(' ', e_detail,
        pg_catalog.format('tide.convert could not lock table %s to drop its CHECKs tide_legacy_lower and tide_legacy_upper again: they stay, and refuse every row whose %I is not in [%s, %s).',
                          source, control, plan->>'lower_bound', plan->>'upper_bound'));
      e_hint := pg_catalog.concat_ws(' ', e_hint,
        pg_catalog.format('Drop them as soon as the table is free (or run tide.convert again): ALTER TABLE %s DROP CONSTRAINT IF EXISTS tide_legacy_lower, DROP CONSTRAINT IF EXISTS tide_legacy_upper;', source));
    end if;
    raise exception using errcode = e_state, message = e_message, detail = e_detail, hint = e_hint;
  end if;
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
  raise notice 'pgtide: % is partitioned: legacy partition % [%, %), swap held its lock % ms (attempt %), % partitions created; total %',
    result->>'parent', result->>'legacy', result->>'lower_bound', result->>'upper_bound',
    result->>'swap_ms', result->>'attempts', pg_catalog.jsonb_array_length(result->'partitions_created'),
    pg_catalog.clock_timestamp() - t0;
end
$proc$;

comment on procedure tide.convert(regclass, name, text, integer, text, text, text, boolean, boolean) is
  'Turns plain table SOURCE into a range-partitioned table managed by pgtide without rewriting it: refuses (changing nothing) what cannot be converted, adds a CHECK on [min, max] rounded to interval edges NOT VALID, VALIDATEs it (writes continue), then in one short transaction (ACCESS EXCLUSIVE for milliseconds, lock_timeout 100 ms, retried) renames SOURCE to <name>_legacy, creates the partitioned table in its place with its shape, attaches the old table as the legacy partition and adopts its indexes, creates future partitions and registers it. When the VALIDATE or the swap fails it drops the CHECKs again (or says how to) and raises the error. Commits between steps, so CALL it outside a transaction block. dry_run => true prints the plan only.';
