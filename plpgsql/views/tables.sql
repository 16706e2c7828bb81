-- One row per managed table: settings, coverage, default rows, size, growth, last run, next action.

create or replace view tide.tables as
  select * from _tide.obs_tables(now());

comment on view tide.tables is
  'One row per managed table: table_state (ok / missing / not_partitioned), settings, partitions, detached partitions, oldest and newest bound, current partition, covered_until (writes up to this key have a partition), partitions_ahead and position_note, rows in the default (exact up to 10,000; above, at least 10,001 or the estimate when larger), total bytes (catalog estimate), bytes and rows per interval (mean of the last 3 complete partitions), partitions due for retention, last maintenance (time, outcome, message, last success, failures in a row), and the next action with its due time. current_partition and partitions_ahead of an integer key follow its largest key; position_note says when a partition locked by another session could not be read and the position was estimated from the statistics. Reads the largest key of integer-keyed partitions and a bounded count of each default partition under ACCESS SHARE NOWAIT, released at once: it never waits for a lock of a user table and keeps none.';
