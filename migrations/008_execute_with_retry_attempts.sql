-- Up Migration
-- _tide.execute_with_retry now returns the number of attempts (integer instead of void); the
-- installer re-creates it from plpgsql/ right after the migrations.
drop function if exists _tide.execute_with_retry(text, integer);

-- Down Migration
