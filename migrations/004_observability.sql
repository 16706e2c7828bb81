-- Up Migration
-- Thresholds behind tide.health and tide.recommendations, as product settings a DBA may change
-- (UPDATE _tide.settings). No tables: observability reads the catalog, statistics and the run log.

insert into _tide.settings (name, value) values
  ('oversized_partition_factor', '10'),
  ('oversized_partition_min_bytes', '67108864'),
  ('tiny_partition_count', '1000'),
  ('tiny_partition_bytes', '1048576'),
  ('cron_history_retention', '7 days')
on conflict (name) do nothing;

-- Down Migration
delete from _tide.settings where name in ('oversized_partition_factor', 'oversized_partition_min_bytes',
  'tiny_partition_count', 'tiny_partition_bytes', 'cron_history_retention');
