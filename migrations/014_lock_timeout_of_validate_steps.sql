-- Up Migration
-- _tide.convert_validate takes the lock_timeout and retries of its lock, and
-- _tide.split_slice_validate_foreign_keys the managed table (for its lock_timeout and retries);
-- the installer re-creates both from plpgsql/ after the migrations.
drop function if exists _tide.convert_validate(regclass);
drop function if exists _tide.split_slice_validate_foreign_keys(regclass);

-- Down Migration
