-- Up Migration
-- Two functions an earlier version installed and a later one no longer has: tide.check_archive_content
-- (its checks are tide.complete_archive's) and _tide.archive_table_state. Left in place they would be
-- taken for the user's by the uninstall guard, which knows pgtide's functions by the files of plpgsql/.
drop function if exists tide.check_archive_content(bigint, jsonb);
drop function if exists _tide.archive_table_state(regclass);

-- Down Migration
