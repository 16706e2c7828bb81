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
  perform _tide.convert_validate(source);
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
  raise notice 'pgtide: CHECK validated in %; swapping', pg_catalog.clock_timestamp() - t0;
  result := _tide.convert_swap(plan);
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  commit;
  raise notice 'pgtide: % is partitioned: legacy partition % [%, %), swap held its lock % ms (attempt %), % partitions created; total %',
    result->>'parent', result->>'legacy', result->>'lower_bound', result->>'upper_bound',
    result->>'swap_ms', result->>'attempts', pg_catalog.jsonb_array_length(result->'partitions_created'),
    pg_catalog.clock_timestamp() - t0;
end
$proc$;

comment on procedure tide.convert(regclass, name, text, integer, text, text, text, boolean, boolean) is
  'Turns plain table SOURCE into a range-partitioned table managed by pgtide without rewriting it: refuses (changing nothing) what cannot be converted, adds a CHECK on [min, max] rounded to interval edges NOT VALID, VALIDATEs it (writes continue), then in one short transaction (ACCESS EXCLUSIVE for milliseconds, lock_timeout 100 ms, retried) renames SOURCE to <name>_legacy, creates the partitioned table in its place with its shape, attaches the old table as the legacy partition and adopts its indexes, creates future partitions and registers it. Commits between steps, so CALL it outside a transaction block. dry_run => true prints the plan only.';
