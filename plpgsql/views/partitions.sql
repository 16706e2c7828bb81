-- One row per partition of every managed table, for DBAs in psql and for `pgtide status`.
-- Catalog and statistics only (see _tide.obs_partitions): cheap enough to run with 10,000 partitions.

create or replace view tide.partitions as
  select parent, partition, partition_schema, partition_name,
         lower_bound, upper_bound, time_range, int_range,
         is_default, detached, detach_pending,
         row_estimate, table_bytes, toast_bytes, index_bytes, total_bytes, dead_tuples,
         last_vacuum, last_autovacuum, last_analyze, last_autoanalyze,
         seq_scans, idx_scans
    from _tide.obs_partitions();

comment on view tide.partitions is
  'One row per partition of every managed table (and per partition retention detached and kept): bounds as text and as a tstzrange (time keys) or int8range (integer keys), is_default, detached, row estimate, table/toast/index/total bytes estimated from pg_class.relpages (current as of the last VACUUM, ANALYZE or CREATE INDEX), dead tuples, last (auto)vacuum/analyze, sequential and index scans. Reads the catalog and statistics only: takes no lock on any partition.';
