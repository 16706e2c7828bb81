-- The engine over a table's life: adoption (incl. a multi-interval legacy partition), shape copied
-- to new partitions, default rows moved on create and by drain, retention edges and on_expire,
-- hostile identifiers and 60-byte names, config updates, the maintenance log.

create or replace function tests.test_engine_adopts_existing_partitions() returns setof text language plpgsql as $$
begin
  create table ad (at timestamptz not null) partition by range (at);
  create table ad_legacy partition of ad for values from (minvalue) to ('2031-01-01 00:00+00');
  create table "old jan" partition of ad for values from ('2031-01-01 00:00+00') to ('2031-02-01 00:00+00');
  create table ad_q partition of ad for values from ('2031-03-01 00:00+00') to ('2031-06-01 00:00+00');
  return next is((select array_agg(partition::text order by lower_bound) from tide.manage('ad', 'at', '1 month', premake => 1, start_at => '2031-05-10', default_partition => false)),
                 array['ad_2031_02', 'ad_2031_06'],
                 'manage keeps the legacy (MINVALUE) and 3-month partitions, fills the gap on the grid and continues after them');
  return next ok(exists (select from pg_inherits where inhrelid = '"old jan"'::regclass), 'an adopted partition keeps its name');
  return next is((_tide.maintain_table('ad', '2031-06-20')).partitions_created, 1, 'maintenance continues the series after adopted partitions');
end $$;

create or replace function tests.test_engine_copies_shape() returns setof text language plpgsql as $$
declare p regclass;
begin
  create role engine_owner_test nologin;
  create role engine_reader_test nologin;
  create table sh (id bigint generated always as identity, at timestamptz not null, v text default 'x' check (v <> ''),
                   n int generated always as (length(v)) stored) partition by range (at);
  create index sh_v_pred on sh (v text_pattern_ops, at desc) where v is not null;
  create table sh_2031_01 partition of sh for values from ('2031-01-01 00:00+00') to ('2031-02-01 00:00+00') with (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01);
  alter table sh owner to engine_owner_test;
  grant select on sh to engine_reader_test;
  perform tide.manage('sh', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  p := 'sh_2031_02'::regclass;
  return next is((select pg_get_userbyid(relowner) from pg_class where oid = p)::text, 'engine_owner_test', 'a new partition has the parent''s owner');
  return next ok(has_table_privilege('engine_reader_test', p, 'select'), 'a new partition has the parent''s grants');
  return next is((select reloptions from pg_class where oid = p), array['fillfactor=70', 'autovacuum_vacuum_scale_factor=0.01'], 'storage parameters come from the newest partition');
  return next is((select regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '') from pg_index i where i.indrelid = p),
                 'btree (v text_pattern_ops, at DESC) WHERE (v IS NOT NULL)', 'the index has the same columns, order, opclass and predicate');
  return next ok((select i.inhparent = 'sh_v_pred'::regclass from pg_index x join pg_inherits i on i.inhrelid = x.indexrelid where x.indrelid = p),
                 'the partition''s index is attached to the parent''s index');
  return next is((select count(*)::int from pg_constraint where conrelid = p and conname like 'tide_%'), 0, 'the temporary bounds CHECK is dropped after ATTACH');
  insert into sh (at) values ('2031-02-03');
  return next is((select n from sh_2031_02), 1, 'defaults and generated columns work in the new partition');
end $$;

-- exploded privileges of a table (no ACL yet = the owner's defaults), grantor left out, for
-- comparing two tables' grants
create or replace function tests.privileges_of(t regclass) returns text[] language sql as $$
  select array_agg(format('%s:%s:%s', a.grantee::regrole, a.privilege_type, a.is_grantable) order by 1)
    from pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a where c.oid = t
$$;

create or replace function tests.test_engine_partitions_get_only_parent_privileges() returns setof text language plpgsql as $$
begin
  create role engine_dp_reader nologin;
  create role engine_dp_writer nologin;
  create table dp (at timestamptz not null) partition by range (at);
  grant select on dp to engine_dp_writer;
  create table dq (at timestamptz not null) partition by range (at);  -- no grants, owned by this role
  create table dr (at timestamptz not null) partition by range (at);
  revoke truncate on dr from current_user;  -- an owner that took a privilege from itself on the parent
  -- every table created from now on gets these: the parent was created before, so it has none of them
  alter default privileges grant select, insert on tables to engine_dp_reader;
  alter default privileges grant select, insert on tables to engine_dp_writer with grant option;
  -- and their owner less: a maintenance run as that owner would then not be allowed to move rows
  alter default privileges revoke delete, truncate on tables from current_user;
  perform tide.manage('dp', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  return next is(tests.privileges_of('dp_2031_01'), tests.privileges_of('dp'),
                 'a partition manage creates has exactly the parent''s privileges, none that ALTER DEFAULT PRIVILEGES gives new tables');
  perform _tide.maintain_table('dp', '2031-02-10');
  return next ok(not has_table_privilege('engine_dp_reader', 'dp_2031_03', 'select'),
                 'maintenance takes away a default privilege the parent does not have');
  return next ok(has_table_privilege('engine_dp_writer', 'dp_2031_03', 'select')
                 and not has_table_privilege('engine_dp_writer', 'dp_2031_03', 'select with grant option')
                 and not has_table_privilege('engine_dp_writer', 'dp_2031_03', 'insert'),
                 'and keeps the parent''s own grant as it is (no grant option, no insert)');
  perform tide.manage('dq', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  return next is(tests.privileges_of('dq_2031_01'), tests.privileges_of('dq'),
                 'a parent without grants of its own gets partitions without any either, and their owner keeps all of its own');
  perform tide.manage('dr', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => true);
  return next is(tests.privileges_of('dr_2031_01'), tests.privileges_of('dq_2031_01'),
                 'the owner keeps all of its privileges on a partition, whatever it took from itself on the parent (moving rows out of the default needs them)');
end $$;

create or replace function tests.test_engine_moves_default_rows_on_create() returns setof text language plpgsql as $$
declare r record;
begin
  create table dm (at timestamptz not null, v int) partition by range (at);
  perform tide.manage('dm', 'at', '1 month', premake => 1, start_at => '2031-01-01');
  insert into dm select '2031-03-05'::timestamptz + g * interval '1 hour', g from generate_series(1, 50) g;
  insert into dm values ('2032-07-01', 0);
  return next is((select count(*)::int from only dm_default), 51, 'rows of missing months land in the default');
  r := _tide.maintain_table('dm', '2031-02-10');
  return next is(r.rows_moved, 50::bigint, 'maintenance moves the default''s rows of the new partition out');
  return next is((select count(*)::int from dm_2031_03), 50, 'they are in the new partition');
  return next is((select count(*)::int from only dm_default), 1, 'rows outside the new range stay in the default');
  return next is((select rows from _tide.log where action = 'create' and partition = 'public.dm_2031_03')::int, 50, 'the move is logged with its row count');
  return next is((select count(*)::int from pg_constraint where conrelid = 'dm_default'::regclass and conname like 'tide_%'), 0, 'the exclusion CHECK on the default is dropped again');
end $$;

create or replace function tests.test_engine_drain_default_step() returns setof text language plpgsql as $$
begin
  create table dr (id int not null) partition by range (id);
  perform tide.manage('dr', 'id', '100', premake => 1, start_at => '0');
  insert into dr select g from generate_series(500, 799) g;
  insert into dr select g from generate_series(-50, -1) g;
  return next is(_tide.drain_default_step('dr', 100000), 350::bigint, 'drain moves every row out of the default');
  return next is((select count(*)::int from only dr_default), 0, 'the default is empty');
  return next ok(exists (select from pg_class where relname = 'dr_p-100') and exists (select from pg_class where relname = 'dr_p700'),
                 'drain created the partitions of past and future ranges');
end $$;

create or replace function tests.test_engine_drain_default_leaves_infinity() returns setof text language plpgsql as $$
begin
  create table di (at timestamptz not null, v text) partition by range (at);
  perform tide.manage('di', 'at', '1 month', premake => 1, start_at => '2031-01-01');
  insert into di values ('infinity', 'inf'), ('-infinity', 'minus inf'), ('2020-01-05', 'old');
  return next is(_tide.drain_default_step('di', 100), 1::bigint, 'a default holding +-infinity still gives up its other rows');
  return next is((select tableoid::regclass::text from di where v = 'old'), 'di_2020_01', 'the old row is in its partition');
  return next is((select count(*)::int from only di_default), 2, '+-infinity stay in the default (no partition of the grid holds them)');
end $$;

create or replace function tests.test_engine_retention_edges() returns setof text language plpgsql as $$
begin
  create table rt (at timestamptz not null) partition by range (at);
  perform tide.manage('rt', 'at', '1 month', premake => 1, start_at => '2031-01-01', keep => '2 months', default_partition => false);
  perform _tide.maintain_table('rt', '2031-03-31 23:59:59+00');
  return next ok(exists (select from pg_class where relname = 'rt_2031_01'), 'January is kept while as_of - keep is still inside January');
  perform _tide.maintain_table('rt', '2031-04-01 00:00:00+00');
  return next ok(not exists (select from pg_class where relname = 'rt_2031_01'), 'January expires the instant all of it is older than as_of - keep');
  return next ok(exists (select from pg_class where relname = 'rt_2031_02'), 'February, partly younger, is kept');
end $$;

create or replace function tests.test_engine_retention_never_default_or_legacy_young() returns setof text language plpgsql as $$
begin
  create table rd (at timestamptz not null) partition by range (at);
  create table rd_legacy partition of rd for values from (minvalue) to ('2031-03-01 00:00+00');
  perform tide.manage('rd', 'at', '1 month', premake => 1, start_at => '2031-03-01', keep => '1 month');
  perform _tide.maintain_table('rd', '2031-03-20');
  return next ok(exists (select from pg_class where relname = 'rd_legacy'), 'a legacy partition ending after as_of - keep is kept');
  perform _tide.maintain_table('rd', '2031-04-01');
  return next ok(not exists (select from pg_class where relname = 'rd_legacy'), 'it expires once all of it is older');
  perform _tide.maintain_table('rd', '2035-01-01');
  return next ok(exists (select from pg_class where relname = 'rd_default'), 'retention never touches the default partition');
end $$;

create or replace function tests.test_engine_retention_failure_keeps_creation() returns setof text language plpgsql as $$
declare r record;
begin
  create table rf (at timestamptz not null) partition by range (at);
  perform tide.manage('rf', 'at', '1 month', premake => 1, start_at => '2031-01-01', keep => '2 months', default_partition => false);
  -- a view of the DBA's over the oldest month: DROP of that partition fails (2BP01)
  create view rf_january as select count(*) from rf_2031_01;
  r := _tide.maintain_table('rf', '2031-06-15');
  return next is(r.outcome, 'error', 'a partition that cannot be dropped makes the table''s outcome error');
  return next ok(r.message like 'drop of %rf_2031_01 failed:%', 'the message names the partition and the action');
  return next is(r.partitions_created, 4, 'the partitions created ahead in the same run are kept');
  return next ok(exists (select from pg_class where relname = 'rf_2031_07'), 'creation reached as_of + premake');
  return next ok(exists (select from pg_class where relname = 'rf_2031_01'), 'the partition the view needs is left as it was');
  return next ok(not exists (select from pg_class where relname = 'rf_2031_02'), 'the younger expired partition is still dropped');
  return next is((select l.outcome || ' ' || l.sqlstate from _tide.log l where l.parent_oid = 'rf'::regclass and l.action = 'drop' and l.partition like '%rf_2031_01'),
                 'error 2BP01', 'the failed drop is logged with its SQLSTATE');
  return next is((select l.sqlstate from _tide.log l where l.parent_oid = 'rf'::regclass and l.action = 'maintain'), '2BP01',
                 'and the table''s own row carries it');
  return next is((select listing_key from _tide.managed_tables where parent = 'rf'::regclass), null,
                 'the kept listing is given up: the next run reads the catalog and tries again');
  drop view rf_january;
  r := _tide.maintain_table('rf', '2031-06-15');
  return next is(r.outcome || ' ' || r.partitions_expired, 'ok 1', 'once the view is gone the next run drops it');
end $$;

create or replace function tests.test_engine_detach_on_expire() returns setof text language plpgsql as $$
begin
  create table dt (at date not null) partition by range (at);
  perform tide.manage('dt', 'at', '1 day', premake => 1, start_at => '2031-01-01', keep => '1 day', on_expire => 'detach', default_partition => false);
  perform _tide.maintain_table('dt', '2031-01-03 12:00+00');
  return next ok(not exists (select from pg_inherits where inhrelid = 'dt_2031_01_01_detached'::regclass), 'the expired partition is detached, renamed <name>_detached');
  return next is((select lower_bound || ' ' || upper_bound || ' ' || reason from _tide.detached where partition = 'dt_2031_01_01_detached'::regclass),
                 '2031-01-01 2031-01-02 retention', 'it is recorded in _tide.detached with its bounds');
  return next ok(exists (select from pg_class where relname = 'dt_2031_01_02'), 'the next day is kept');
end $$;

create or replace function tests.test_engine_integer_retention() returns setof text language plpgsql as $$
begin
  create table ir (id bigint not null) partition by range (id);
  perform tide.manage('ir', 'id', '1000', premake => 1, start_at => '0', keep => '2000', default_partition => false);
  perform tide.create_partitions('ir', '5500');
  insert into ir values (5500);
  perform _tide.maintain_table('ir');
  return next is((select array_agg(c.relname::text order by c.relname) from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'ir'::regclass),
                 array['ir_p3000', 'ir_p4000', 'ir_p5000', 'ir_p6000'], 'integer retention keeps ranges ending above max(id) - keep');
end $$;

create or replace function tests.test_engine_hostile_identifiers() returns setof text language plpgsql as $$
begin
  create schema "Odd ""Schema"".x";
  create table "Odd ""Schema"".x"."Événements. du ""jour""" ("Quand ça" timestamptz not null) partition by range ("Quand ça");
  perform tide.manage('"Odd ""Schema"".x"."Événements. du ""jour"""', 'Quand ça', '1 month', premake => 1, start_at => '2031-01-01');
  return next is((select array_agg(c.relname::text order by c.relname) from pg_inherits i join pg_class c on c.oid = i.inhrelid
                   where i.inhparent = '"Odd ""Schema"".x"."Événements. du ""jour"""'::regclass),
                 array['Événements. du "jour"_2031_01', 'Événements. du "jour"_2031_02', 'Événements. du "jour"_default'],
                 'quotes, dots, spaces, mixed case and non-ASCII survive in schema, table and column names');
  insert into "Odd ""Schema"".x"."Événements. du ""jour""" values ('2031-01-05');
  return next is((select count(*)::int from "Odd ""Schema"".x"."Événements. du ""jour""_2031_01"), 1, 'rows route into the new partition');
end $$;

create or replace function tests.test_engine_sixty_byte_names() returns setof text language plpgsql as $$
begin
  execute format('create table %I (at timestamptz not null) partition by range (at)', repeat('é', 30));
  perform tide.manage(quote_ident(repeat('é', 30)), 'at', '1 day', premake => 1, start_at => '2031-01-01');
  return next ok((select bool_and(octet_length(c.relname::text) <= 63) from pg_inherits i join pg_class c on c.oid = i.inhrelid
                   where i.inhparent = quote_ident(repeat('é', 30))::regclass), 'no partition name exceeds 63 bytes');
  return next ok(exists (select from pg_class where relname = repeat('é', 26) || '_2031_01_01'), 'the parent part is shortened by whole characters');
  return next ok(exists (select from pg_class where relname = repeat('é', 27) || '_default'), 'the default partition name is shortened too');
end $$;

create or replace function tests.test_engine_name_collision() returns setof text language plpgsql as $$
begin
  execute format('create table %I (at timestamptz not null) partition by range (at)', repeat('a', 60));
  perform tide.manage(repeat('a', 60), 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  execute format('create table %I (at timestamptz not null) partition by range (at)', repeat('a', 60) || 'b');
  return next throws_ok(format($q$select tide.manage(%L, 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false)$q$, repeat('a', 60) || 'b'),
                        '42P07', null, 'a shortened name that is another table''s partition is refused, never silently reused');
end $$;

create or replace function tests.test_engine_detached_names() returns setof text language plpgsql as $$
declare
  mt _tide.managed_tables;
  jun bigint;
begin
  create table dn (at timestamptz not null) partition by range (at);
  perform tide.manage('dn', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  mt := _tide.load_managed_table('dn');
  jun := _tide.key_position(mt, '2026-06-01 00:00+00');
  return next is(_tide.detached_name(mt, 'dn_2026_06', jun)::text, 'dn_2026_06_detached', 'a short name is <name>_detached');
  mt.parent_name := 'events_of_the_customer_billing_pipeline_archive';
  return next is(_tide.detached_name(mt, 'events_of_the_customer_billing_pipeline_archive_2026_06', jun)::text,
                 'events_of_the_customer_billing_pipeline_archiv_2026_06_detached',
                 'over 63 bytes, the parent part loses characters, never the suffix');
  mt.parent_name := repeat('é', 30);
  return next is(_tide.detached_name(mt, repeat('é', 27) || '_2026_06', jun)::text, repeat('é', 23) || '_2026_06_detached',
                 'the parent part is shortened by whole characters');
  mt.parent_name := repeat('x', 55) || '_2026_07_x';
  return next is(_tide.detached_name(mt, repeat('x', 55) || '_2026_06', jun)::text, repeat('x', 46) || '_2026_06_detached',
                 'the suffix of pgtide''s name for the range is kept even when the parent''s name goes on like a suffix');
  mt.parent_name := repeat('y', 52);
  return next is(_tide.detached_name(mt, repeat('y', 52) || '_legacy', null)::text, repeat('y', 47) || '_legacy_detached',
                 'a legacy partition keeps _legacy: its parent part is what it shares with the parent''s name');
  return next is(_tide.detached_name(mt, 'by hand ' || repeat('z', 45) || ' 2026-06', jun)::text, ' ' || repeat('z', 45) || ' 2026-06_detached',
                 'a name that does not begin with its parent''s loses characters at its start, its end kept');
end $$;

create or replace function tests.test_engine_detached_name_taken() returns setof text language plpgsql as $$
declare r record;
begin
  create table dt2 (at timestamptz not null) partition by range (at);
  perform tide.manage('dt2', 'at', '1 month', premake => 1, keep => '1 month', on_expire => 'detach', start_at => '2031-01-01', default_partition => false);
  create table dt2_2031_01_detached (x int);
  r := _tide.maintain_table('dt2', '2031-03-15');
  return next is((select l.sqlstate || ' ' || l.message from _tide.log l where l.parent_oid = 'dt2'::regclass and l.action = 'detach' and l.outcome = 'error'),
                 '42P07 relation public.dt2_2031_01_detached already exists: expired partition public.dt2_2031_01 of public.dt2 cannot be detached under that name',
                 'a detached name taken by another relation is 42P07 naming it, never a silent reuse (logged; the table''s outcome is error)');
  return next is(r.outcome, 'error', 'the table''s run is an error');
  return next ok(exists (select from pg_inherits where inhrelid = 'dt2_2031_01'::regclass), 'the partition stays attached');
  return next ok(exists (select from pg_class where relname = 'dt2_2031_04'), 'and creation ahead went on');
end $$;

create or replace function tests.test_engine_config_update() returns setof text language plpgsql as $$
begin
  create table cf (at timestamptz not null) partition by range (at);
  perform tide.manage('cf', 'at', '1 month', premake => 1, start_at => '2031-01-01');
  update tide.config set premake = 3, keep = '12 months', lock_timeout = '50 ms' where parent = 'cf'::regclass;
  return next is((select keep_interval from _tide.managed_tables where parent = 'cf'::regclass), interval '12 months', 'a keep set through tide.config is parsed');
  return next is((_tide.maintain_table('cf', '2031-01-10')).partitions_created, 2, 'a larger premake takes effect at the next maintenance');
  update tide.config set enabled = false where parent = 'cf'::regclass;
  return next is((_tide.maintain_table('cf', '2031-01-10')).outcome, 'skipped', 'a disabled table is skipped');
  perform tide.unmanage('cf');
  return next ok(exists (select from pg_class where relname = 'cf_2031_01') and not exists (select from tide.config where parent = 'cf'::regclass),
                 'unmanage forgets the table and keeps its partitions');
end $$;

create or replace function tests.test_engine_log_and_idempotence() returns setof text language plpgsql as $$
begin
  create table lg (at timestamptz not null) partition by range (at);
  perform tide.manage('lg', 'at', '1 month', premake => 1, start_at => '2031-01-01');
  return next is((_tide.maintain_table('lg', '2031-01-10')).partitions_created, 0, 'maintenance with nothing due creates nothing');
  return next is((select count(*)::int from tide.maintenance_log where parent = 'public.lg' and action = 'maintain' and outcome = 'ok'), 1, 'it is logged as one ok maintain action');
  return next is((select count(*)::int from tide.create_partitions('lg', '2031-04-15')), 2, 'create_partitions makes March and April');
end $$;

create or replace function tests.test_engine_default_partition_optional() returns setof text language plpgsql as $$
begin
  create table nd (at timestamptz not null) partition by range (at);
  perform tide.manage('nd', 'at', '1 month', premake => 1, start_at => '2031-01-01', default_partition => false);
  return next ok(not exists (select from pg_class where relname = 'nd_default'), 'default_partition => false creates none');
  update tide.config set default_partition = true where parent = 'nd'::regclass;
  perform _tide.maintain_table('nd', '2031-01-02');
  return next ok(exists (select from pg_inherits where inhrelid = 'nd_default'::regclass), 'turning it on creates it at the next maintenance');
end $$;

create or replace function tests.test_engine_integer_key_type_end() returns setof text language plpgsql as $$
begin
  -- the last cell of an integer key type's range ends at MAXVALUE, never at a value the type cannot hold
  create table i4 (id integer not null, v text) partition by range (id);
  perform tide.manage('i4', 'id', '100000000', premake => 2, start_at => '1800000000');
  insert into i4 values (2000000000, 'x');
  return next is((_tide.maintain_table('i4')).outcome, 'ok', 'maintenance of an integer key near 2^31 succeeds');
  return next is((select pg_get_expr(c.relpartbound, c.oid) from pg_class c where c.oid = 'i4_p2100000000'::regclass),
                 'FOR VALUES FROM (2100000000) TO (MAXVALUE)', 'the cell reaching past the type''s range ends at MAXVALUE');
  insert into i4 values (2147483647, 'top');
  return next is((select count(*)::int from only i4_p2100000000), 1, 'the largest integer lands in it');
  return next is((_tide.maintain_table('i4')).outcome, 'ok', 'the next run succeeds too, with nothing to create');
  perform tide.unmanage('i4');
  return next lives_ok($q$select tide.manage('i4', 'id', '100000000', premake => 2)$q$, 'such a last partition is adopted by manage');
  create table i5 (id integer not null) partition by range (id);
  create table i5_p0 partition of i5 for values from (0) to (maxvalue);
  return next throws_ok($q$select tide.manage('i5', 'id', '100000000')$q$, 'TD002', null, 'any other partition to MAXVALUE is still refused');
  create table i8 (id bigint not null) partition by range (id);
  perform tide.manage('i8', 'id', '1000000000000000000', premake => 4, start_at => '8000000000000000000');
  insert into i8 values (9223372036854775807);
  return next is((_tide.maintain_table('i8')).outcome, 'ok', 'maintenance of a bigint key near 2^63 succeeds');
  return next is((select pg_get_expr(c.relpartbound, c.oid) from pg_class c where c.oid = 'i8_p9000000000000000000'::regclass),
                 'FOR VALUES FROM (''9000000000000000000'') TO (MAXVALUE)', 'its last cell ends at MAXVALUE as well');
end $$;

create or replace function tests.test_engine_drain_default_leaves_type_end_sentinels() returns setof text language plpgsql as $$
begin
  create table dn (id integer not null) partition by range (id);
  perform tide.manage('dn', 'id', '1000', premake => 2, start_at => '0');
  insert into dn values (5000), (-2147483648);
  return next is(_tide.drain_default_step('dn', 100), 1::bigint, 'an integer MIN_VALUE sentinel does not stop the other rows from moving');
  return next is((select count(*)::int from only dn_default), 1, 'the sentinel stays in the default');
  create table db (id bigint not null) partition by range (id);
  perform tide.manage('db', 'id', '1000', premake => 2, start_at => '0');
  insert into db values (5000), (9223372036854775807);
  return next is(_tide.drain_default_step('db', 100), 1::bigint, 'nor does a bigint MAX_VALUE sentinel');
  return next is((select count(*)::int from only db_default), 1, 'which stays in the default');
  create table dc (id bigint not null) partition by range (id);
  perform tide.manage('dc', 'id', '10', premake => 1, start_at => '0');
  insert into dc values (9223372036854775798), (9223372036854775799);
  return next is(_tide.drain_default_step('dc', 100), 2::bigint, 'keys of the last cell that ends within bigint still move');
end $$;

-- Maintenance run by a role whose name needs quoting (mixed case, a space, non-ASCII) that owns the
-- table: creating a partition compares the parent's owner with that role.
create or replace function tests.test_engine_maintenance_as_a_role_with_a_quoted_name() returns setof text language plpgsql as $$
begin
  create role "Tide Öwner x" nologin;
  grant tide_admin to "Tide Öwner x";
  grant create on schema public to "Tide Öwner x";
  set local role "Tide Öwner x";
  create table qr (at timestamptz not null) partition by range (at);
  perform tide.manage('qr', 'at', '1 day', premake => 1, start_at => '2031-03-01', default_partition => false);
  return next is((_tide.maintain_table('qr', '2031-03-02 12:00+00')).partitions_created, 1,
                 'maintenance as that role creates the next partition');
  return next is((select pg_get_userbyid(relowner) from pg_class where oid = 'qr_2031_03_03'::regclass)::text, 'Tide Öwner x',
                 'owned by that role');
  reset role;
end $$;

-- A partition from MINVALUE attached by hand must end on the grid like any other: maintenance refuses
-- to continue after one that does not (TD002), and fills the gap after one that does.
create or replace function tests.test_engine_minvalue_partition_end_is_checked() returns setof text language plpgsql as $$
begin
  create table mv (at timestamptz not null) partition by range (at);
  perform tide.manage('mv', 'at', '1 day', premake => 1, start_at => '2031-01-01', default_partition => false);
  create table mv_old partition of mv for values from (minvalue) to ('2030-12-31 05:00+00');
  return next throws_ok($q$select _tide.maintain_table('mv', '2031-01-01 12:00+00')$q$, 'TD002',
                        'partition public.mv_old of public.mv ends off the partition grid', 'an off-grid end after MINVALUE is refused');
  return next is((select count(*)::int from pg_inherits where inhparent = 'mv'::regclass), 3, 'and nothing is created');
  drop table mv_old;
  create table mv_old partition of mv for values from (minvalue) to ('2030-12-30 00:00+00');
  return next is((_tide.maintain_table('mv', '2031-01-01 12:00+00')).partitions_created, 2,
                 'after one on the grid, the gap up to the series is filled');
  return next ok(to_regclass('mv_2030_12_30') is not null and to_regclass('mv_2030_12_31') is not null, 'with the two missing days');
end $$;

-- A parent renamed and moved after manage(): its settings carry the names it had then, maintenance
-- names the next partition after the table as it is now, in its schema now (load_managed_table reads
-- them from the regclass's output, and from the catalog where that is not schema-qualified).
create or replace function tests.test_engine_renamed_parent_is_named_as_it_is_now() returns setof text language plpgsql as $$
declare mt _tide.managed_tables; logged bigint;
begin
  create schema "Rn ä.""q";
  create table rn_old (at timestamptz not null) partition by range (at);
  perform tide.manage('rn_old', 'at', '1 day', premake => 1, start_at => '2031-01-01', default_partition => false);
  alter table rn_old rename to "Rn.""Neu";
  alter table "Rn.""Neu" set schema "Rn ä.""q";
  mt := _tide.load_managed_table('"Rn ä.""q"."Rn.""Neu"');
  return next is(array[mt.parent_schema::text, mt.parent_name::text], array['Rn ä."q', 'Rn."Neu'],
                 'the settings name the parent''s schema and name as they are now');
  return next is((_tide.maintain_table('"Rn ä.""q"."Rn.""Neu"', '2031-01-02 12:00+00')).partitions_created, 1, 'maintenance goes on');
  return next ok(to_regclass('"Rn ä.""q"."Rn.""Neu_2031_01_03"') is not null, 'the new partition is named after the new name, in the new schema');
  -- a temporary parent: the regclass's output is not schema-qualified, the catalog gives the schema
  create temporary table rn_temp (at timestamptz not null) partition by range (at);
  perform tide.manage('rn_temp', 'at', '1 day', premake => 1, start_at => '2031-01-01', default_partition => false);
  mt := _tide.load_managed_table('rn_temp');
  return next is(array[mt.parent_schema::text, mt.parent_name::text], array[pg_my_temp_schema()::regnamespace::text, 'rn_temp'],
                 'a temporary parent is named with its session''s temporary schema');
  -- a parent dropped without unmanage: no names (its regclass prints as an oid)
  drop table rn_temp;
  mt := _tide.load_managed_table(mt.parent);
  return next is(array[mt.parent_schema::text, mt.parent_name::text], array[null, null]::text[], 'a dropped parent has no names');
  return next throws_ok(format('select _tide.maintain_table(%s::oid::regclass)', mt.parent::oid), '42P01',
                        format('table %s, managed by pgtide, no longer exists', mt.parent::oid),
                        'and its maintenance says that it no longer exists');
  -- so does every other call that works on the table itself, and each changes nothing
  logged := (select count(*) from _tide.log);
  return next throws_ok(format($q$select * from tide.create_partitions(%s, '2031-02-01')$q$, mt.parent::oid), '42P01',
                        format('table %s, managed by pgtide, no longer exists', mt.parent::oid), 'tide.create_partitions too');
  return next throws_ok(format('call tide.drain_default(%s)', mt.parent::oid), '42P01',
                        format('table %s, managed by pgtide, no longer exists', mt.parent::oid), 'tide.drain_default too');
  return next throws_ok(format('call tide.split_legacy(%s)', mt.parent::oid), '42P01',
                        format('table %s, managed by pgtide, no longer exists', mt.parent::oid), 'tide.split_legacy too');
  return next throws_ok(format('call tide.unconvert(%s)', mt.parent::oid), '42P01',
                        format('table %s, managed by pgtide, no longer exists', mt.parent::oid), 'tide.unconvert too');
  return next ok(exists (select from _tide.managed_tables m where m.parent = mt.parent)
                 and (select count(*) from _tide.log) = logged
                 and not exists (select from pg_class c where c.relname ~ '^rn_temp'),
                 'and none of them changed anything: the settings stay, nothing logged, nothing created');
  perform tide.unmanage(mt.parent);
  return next ok(not exists (select from _tide.managed_tables m where m.parent = mt.parent), 'tide.unmanage forgets it, as the hint says');
end $$;

-- The hour-and-minute grids: a partition of a grid of whole hours is named to the minute, one of
-- any other grid to the second (partition_name reads the interval's time part).
create or replace function tests.test_engine_names_of_minute_grids() returns setof text language plpgsql as $$
begin
  create table nm90 (at timestamp not null) partition by range (at);
  return next is((select array_agg(partition::text order by lower_bound)
                    from tide.manage('nm90', 'at', '90 minutes', premake => 1, start_at => '2031-01-01 00:00', default_partition => false)),
                 array['nm90_2031_01_01_000000', 'nm90_2031_01_01_013000'], 'a 90-minute grid names its partitions to the second');
  create table nm2h (at timestamp not null) partition by range (at);
  return next is((select array_agg(partition::text order by lower_bound)
                    from tide.manage('nm2h', 'at', '2 hours', premake => 1, start_at => '2031-01-01 00:00', default_partition => false)),
                 array['nm2h_2031_01_01_0000', 'nm2h_2031_01_01_0200'], 'a 2-hour grid names them to the minute');
end $$;
