-- Up Migration
-- Each managed table keeps the partition listing its last successful maintenance ended with
-- (partition oids and bounds as axis positions, in key order) and the key of the
-- pg_inherits rows it describes. While the key is unchanged the next run reuses it instead of
-- deparsing every partition's bound again; any attach, detach or drop changes the key.

alter table _tide.managed_tables
  add column listing_key text,
  add column listing_partitions oid[],
  add column listing_lower bigint[],
  add column listing_upper bigint[];
comment on column _tide.managed_tables.listing_key is
  'Key (_tide.listing_key) of the pg_inherits rows the listing_* columns were taken from; NULL = no listing kept';
comment on column _tide.managed_tables.listing_partitions is
  'Non-default partitions in key order, as oids (names are looked up when used: a partition may be renamed)';
comment on column _tide.managed_tables.listing_lower is 'Lower bound of each listed partition as an axis position (NULL = MINVALUE)';
comment on column _tide.managed_tables.listing_upper is 'Upper bound of each listed partition as an axis position (NULL = MAXVALUE)';

-- Down Migration
alter table _tide.managed_tables
  drop column if exists listing_key, drop column if exists listing_partitions, drop column if exists listing_lower,
  drop column if exists listing_upper;
