-- Up Migration
-- _tide.missing_slots_among takes the partitions as regclass[] (names looked up only for an error)
-- instead of their names as text[]; the installer re-creates it from plpgsql/ after the migrations.
drop function if exists _tide.missing_slots_among(_tide.managed_tables, bigint, bigint, bigint[], bigint[], text[]);

-- Down Migration
