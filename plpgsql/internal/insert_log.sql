-- Several rows of _tide.log in one INSERT, in the order given: maintenance collects a table's
-- entries (each partition created, then the table's own row) and writes them together.

create or replace function _tide.insert_log(run_id bigint, parent regclass, entries _tide.log[])
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
  if coalesce(cardinality(entries), 0) = 0 then
    return;
  end if;
  -- PL/pgSQL, not SQL: its INSERT plan is cached for the session instead of re-planned per call.
  -- Each entry brings its own logged_at and duration (taken when the action finished); run and
  -- parent are the same for all; log_ids follow the order of ENTRIES.
  insert into _tide.log (run_id, logged_at, parent_oid, parent, action, partition, rows, duration, outcome, sqlstate, message, detail)
  select insert_log.run_id, coalesce(e.logged_at, clock_timestamp()), insert_log.parent, insert_log.parent::text, e.action,
         e.partition, e.rows, e.duration, e.outcome, e.sqlstate, e.message, e.detail
    from unnest(entries) with ordinality as e
   order by e.ordinality;
end
$fn$;

comment on function _tide.insert_log(bigint, regclass, _tide.log[]) is
  'Records several maintenance actions of one table (ENTRIES: rows of _tide.log, of which action, partition, rows, duration, outcome, sqlstate, message, detail and logged_at are used) in _tide.log, in order.';
