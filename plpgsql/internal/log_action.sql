-- One row of _tide.log, the record behind tide.maintenance_log.

create or replace function _tide.log_action(
  run_id bigint, parent regclass, action text, partition text, outcome text,
  rows bigint default null, started timestamptz default null,
  sqlstate text default null, message text default null, detail text default null)
returns void
language sql
set search_path = pg_catalog, pg_temp
as $fn$
  insert into _tide.log (run_id, parent_oid, parent, action, partition, rows, duration, outcome, sqlstate, message, detail)
  values (run_id, parent, parent::text, action, partition, rows,
          case when started is not null then clock_timestamp() - started end,
          outcome, sqlstate, message, detail);
$fn$;

comment on function _tide.log_action(bigint, regclass, text, text, text, bigint, timestamptz, text, text, text) is
  'Records one maintenance action in _tide.log.';
