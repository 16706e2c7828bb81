-- One row of _tide.log, the record behind tide.maintenance_log.

create or replace function _tide.log_action(
  run_id bigint, parent regclass, action text, partition text, outcome text,
  rows bigint default null, started timestamptz default null,
  sqlstate text default null, message text default null, detail text default null)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $fn$
begin
  -- PL/pgSQL, not SQL: its INSERT plan is cached for the session instead of re-planned per call
  insert into _tide.log (run_id, parent_oid, parent, action, partition, rows, duration, outcome, sqlstate, message, detail)
  values (log_action.run_id, log_action.parent, log_action.parent::text, log_action.action, log_action.partition,
          log_action.rows, case when log_action.started is not null then clock_timestamp() - log_action.started end,
          log_action.outcome, log_action.sqlstate, log_action.message, log_action.detail);
end
$fn$;

comment on function _tide.log_action(bigint, regclass, text, text, text, bigint, timestamptz, text, text, text) is
  'Records one maintenance action in _tide.log.';
