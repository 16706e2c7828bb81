-- Every maintenance run and every action it (or manage/create_partitions) took, newest first in use.

create or replace view tide.maintenance_log as
select l.logged_at, l.run_id, l.parent, l.action, l.partition, l.rows, l.duration, l.outcome,
       l.sqlstate, l.message, l.detail, r.as_of
  from _tide.log l
  left join _tide.runs r on r.run_id = l.run_id
union all
select r.started_at, r.run_id, r.only_parent::text, 'run', null, null, r.finished_at - r.started_at, r.outcome,
       null, format('%s ok, %s skipped, %s failed', r.tables_ok, r.tables_skipped, r.tables_failed), null, r.as_of
  from _tide.runs r;

comment on view tide.maintenance_log is
  'Every maintenance run (action ''run'') and every action: when, table, action, partition, rows, duration, outcome, SQLSTATE and error text. Pruned after _tide.settings.log_retention. Takes no lock on managed tables.';
