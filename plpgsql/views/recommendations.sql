-- Advice from measured statistics, with the numbers that justify it; nothing here is a problem.

create or replace view tide.recommendations as
  select parent, recommendation, detail, action, evidence from _tide.obs_recommendations(now());

comment on view tide.recommendations is
  'Advice from measured statistics, one row each: parent, recommendation (interval_too_coarse, interval_too_fine, empty_old_partitions, unused_index_on_old_partitions, shorter_keep, oversized_partition), detail with the numbers, suggested action, evidence as jsonb. Scan counts are since the last statistics reset. Reads the catalog and statistics only.';
