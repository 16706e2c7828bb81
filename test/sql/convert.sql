-- tide.convert: every preflight refusal changes nothing, and a conversion (run through its
-- non-committing steps, since pgTAP rolls each test back) keeps rows, indexes, grants, defaults,
-- sequence positions and comments. Commits, locks and kills are tested in test/ts/convert.test.ts.

create schema "Conv.Ö";
create table "Conv.Ö"."Audit ""Log""" (
  id         bigserial,
  "At Time"  timestamptz not null default now(),
  actor      text not null default 'system',
  detail     jsonb,
  constraint "Audit Log PK" primary key (id, "At Time")
);
create index "Audit By Actor" on "Conv.Ö"."Audit ""Log""" (actor, "At Time");
comment on table "Conv.Ö"."Audit ""Log""" is 'hostile audit log';
comment on column "Conv.Ö"."Audit ""Log""".actor is 'who did it';
grant select on "Conv.Ö"."Audit ""Log""" to tide_monitor;
insert into "Conv.Ö"."Audit ""Log""" ("At Time", actor, detail)
  select timestamptz '2025-01-01 00:00+00' + i * interval '37 minutes', 'u' || (i % 7), jsonb_build_object('i', i)
    from generate_series(1, 5000) i;

create table tests_nullable (id bigint, ts timestamptz);
create table tests_pk_without (id bigint primary key, ts timestamptz not null);
create table tests_referenced (id bigint, ts timestamptz not null, primary key (id, ts));
create table tests_referencing (rid bigint, rts timestamptz, foreign key (rid, rts) references tests_referenced);
create table tests_viewed (id bigint, ts timestamptz not null);
create view tests_a_view as select * from tests_viewed;
create table tests_published (id bigint, ts timestamptz not null);
create publication tests_pub for table tests_published;
create table tests_inh_parent (id bigint, ts timestamptz not null);
create table tests_inh_child () inherits (tests_inh_parent);
create unlogged table tests_unlogged (id bigint, ts timestamptz not null);
create table tests_partitioned (id bigint, ts timestamptz not null) partition by range (ts);
create table tests_text_key (id bigint, k text not null);
create table tests_ok (id bigint, ts timestamptz not null);

create function tests.shape(t regclass) returns text language sql as $$
  select format('%s|%s|%s', c.relkind, (select count(*) from pg_constraint where conrelid = t),
                (select count(*) from pg_index where indrelid = t))
    from pg_class c where c.oid = t;
$$;

create function tests.refuses(t regclass, control name, code text, what text, every text default '1 month')
returns setof text language plpgsql as $$
declare
  before text := tests.shape(t);
begin
  return next throws_ok(format('call tide.convert(%L, %L, %L)', t::text, control, every), code, null, what);
  return next is(tests.shape(t), before, what || ' — and the table is unchanged');
end $$;

create function tests.test_refuses_nullable_control() returns setof text language sql as $$
  select tests.refuses('tests_nullable', 'ts', '55000', 'a nullable control column is refused');
$$;
create function tests.test_nullable_hint_offers_the_fix() returns setof text language plpgsql as $$
begin
  begin
    call tide.convert('tests_nullable', 'ts', '1 month');
  exception when object_not_in_prerequisite_state then
    declare h text; begin
      get stacked diagnostics h = pg_exception_hint;
      return next matches(h, 'VALIDATE CONSTRAINT .*SET NOT NULL', 'the hint gives the NOT NULL fix without a long lock');
      return;
    end;
  end;
  return next fail('no error raised');
end $$;
create function tests.test_refuses_pk_without_control() returns setof text language sql as $$
  select tests.refuses('tests_pk_without', 'ts', '55000', 'a primary key without the control column is refused');
$$;
create function tests.test_pk_refusal_names_new_key() returns setof text language plpgsql as $$
declare m text; h text;
begin
  begin
    call tide.convert('tests_pk_without', 'ts', '1 month');
  exception when object_not_in_prerequisite_state then
    get stacked diagnostics m = message_text, h = pg_exception_hint;
  end;
  return next matches(m, 'tests_pk_without_pkey', 'the message names the key');
  return next matches(h, '\(id, ts\)', 'the hint names the new key (id, ts)');
end $$;
create function tests.test_refuses_referenced_table() returns setof text language sql as $$
  select tests.refuses('tests_referenced', 'ts', '55000', 'a table referenced by a foreign key is refused');
$$;
create function tests.test_refuses_view_dependency() returns setof text language sql as $$
  select tests.refuses('tests_viewed', 'ts', '55000', 'a table a view depends on is refused');
$$;
create function tests.test_refuses_published() returns setof text language sql as $$
  select tests.refuses('tests_published', 'ts', '55000', 'a published table is refused');
$$;
create function tests.test_refuses_inheritance() returns setof text language sql as $$
  select tests.refuses('tests_inh_parent', 'ts', '0A000', 'an inheritance parent is refused')
  union all
  select tests.refuses('tests_inh_child', 'ts', '0A000', 'an inheritance child is refused');
$$;
create function tests.test_refuses_unlogged() returns setof text language sql as $$
  select tests.refuses('tests_unlogged', 'ts', '0A000', 'an unlogged table is refused');
$$;
create function tests.test_refuses_temporary() returns setof text language plpgsql as $$
begin
  create temporary table tests_temp (id bigint, ts timestamptz not null);
  return query select tests.refuses('tests_temp', 'ts', '0A000', 'a temporary table is refused');
end $$;
create function tests.test_refuses_partitioned() returns setof text language sql as $$
  select tests.refuses('tests_partitioned', 'ts', '42809', 'an already partitioned table is refused');
$$;
create function tests.test_refuses_missing_column() returns setof text language sql as $$
  select tests.refuses('tests_ok', 'nope', '42703', 'a missing control column is refused');
$$;
create function tests.test_refuses_text_key() returns setof text language sql as $$
  select tests.refuses('tests_text_key', 'k', '0A000', 'a text control column is refused');
$$;
create function tests.test_refuses_bad_every() returns setof text language sql as $$
  select tests.refuses('tests_ok', 'ts', '22023', 'a malformed every is refused', 'fortnightly');
$$;
create function tests.test_refuses_managed_twice() returns setof text language plpgsql as $$
begin
  return next throws_ok($c$call tide.convert('tests_ok', 'ts', '1 month', on_expire => 'shred')$c$, '22023', null,
                        'an unknown on_expire is refused');
end $$;
create function tests.test_refuses_legacy_name_taken() returns setof text language plpgsql as $$
begin
  create table tests_ok_legacy (x int);
  return query select tests.refuses('tests_ok', 'ts', '42P07', 'a taken legacy name is refused');
end $$;

create function tests.test_dry_run_changes_nothing() returns setof text language plpgsql as $$
declare before text := tests.shape('"Conv.Ö"."Audit ""Log"""');
begin
  call tide.convert('"Conv.Ö"."Audit ""Log"""', 'At Time', '1 month', dry_run => true);
  return next is(tests.shape('"Conv.Ö"."Audit ""Log"""'), before, 'a dry run changes nothing');
end $$;

create function tests.test_plan_rounds_to_month_edges() returns setof text language plpgsql as $$
declare p jsonb := _tide.convert_preflight('"Conv.Ö"."Audit ""Log"""', 'At Time', '1 month', 4, null, 'drop', 'UTC', true,
                                           '2025-04-10 12:00+00', true);
begin
  return next is(p->>'lower_bound', '2025-01-01 00:00:00+00', 'the legacy range starts at the month of the oldest row');
  return next is(p->>'upper_bound', '2025-06-01 00:00:00+00', 'and ends after the month of the newest row (May)');
  return next is(p->>'legacy_name', 'Audit "Log"_legacy', 'the legacy name is <name>_legacy');
end $$;

-- the conversion's three steps, in one (rolled back) transaction
create function tests.convert_hostile() returns jsonb language plpgsql as $$
declare p jsonb := _tide.convert_preflight('"Conv.Ö"."Audit ""Log"""', 'At Time', '1 month', 3, null, 'drop', 'UTC', true, now(), true);
begin
  perform _tide.convert_add_checks(('"Conv.Ö"."Audit ""Log"""')::regclass, 'At Time', 'timestamptz', p->>'lower_bound', p->>'upper_bound');
  perform _tide.convert_validate('"Conv.Ö"."Audit ""Log"""');
  return _tide.convert_swap(p);
end $$;

create function tests.test_convert_keeps_rows() returns setof text language plpgsql as $$
declare before text; after text;
begin
  select count(*) || '/' || sum(hashtext(t::text)) into before from "Conv.Ö"."Audit ""Log""" t;
  perform tests.convert_hostile();
  select count(*) || '/' || sum(hashtext(t::text)) into after from "Conv.Ö"."Audit ""Log""" t;
  return next is(after, before, 'every row is kept (count and checksum)');
  return next is((select relkind::text from pg_class where oid = '"Conv.Ö"."Audit ""Log"""'::regclass), 'p', 'the name is now a partitioned table');
  return next ok(exists (select from tide.config where parent = '"Conv.Ö"."Audit ""Log"""'::regclass), 'and it is managed');
end $$;

create function tests.test_convert_keeps_indexes() returns setof text language plpgsql as $$
begin
  perform tests.convert_hostile();
  return next set_eq($q$select c.relname::text from pg_index i join pg_class c on c.oid = i.indexrelid
                        where i.indrelid = '"Conv.Ö"."Audit ""Log"""'::regclass$q$,
                     array['Audit Log PK', 'Audit By Actor'], 'the partitioned table has the original index names');
  return next is((select count(*)::int from pg_index i join pg_inherits h on h.inhrelid = i.indexrelid
                   where i.indrelid = '"Conv.Ö"."Audit ""Log""_legacy"'::regclass), 2,
                 'the legacy partition''s own indexes are attached, not rebuilt');
  return next is((select contype::text from pg_constraint where conrelid = '"Conv.Ö"."Audit ""Log"""'::regclass and conname = 'Audit Log PK'),
                 'p', 'the primary key is a primary key of the partitioned table');
end $$;

create function tests.test_convert_keeps_grants_comments_defaults() returns setof text language plpgsql as $$
begin
  perform tests.convert_hostile();
  return next ok(has_table_privilege('tide_monitor', '"Conv.Ö"."Audit ""Log"""', 'select'), 'grants are kept');
  return next is(obj_description('"Conv.Ö"."Audit ""Log"""'::regclass, 'pg_class'), 'hostile audit log', 'the table comment is kept');
  return next is(col_description('"Conv.Ö"."Audit ""Log"""'::regclass, 3), 'who did it', 'column comments are kept');
  return next is((select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d join pg_attribute a on a.attrelid = d.adrelid and a.attnum = d.adnum
                   where d.adrelid = '"Conv.Ö"."Audit ""Log"""'::regclass and a.attname = 'actor'), '''system''::text', 'defaults are kept');
end $$;

create function tests.test_convert_keeps_sequence_position() returns setof text language plpgsql as $$
declare seq text := pg_get_serial_sequence('"Conv.Ö"."Audit ""Log"""', 'id'); id bigint;
begin
  perform tests.convert_hostile();
  return next is(pg_get_serial_sequence('"Conv.Ö"."Audit ""Log"""', 'id'), seq, 'the sequence now belongs to the partitioned table');
  insert into "Conv.Ö"."Audit ""Log""" (actor) values ('after') returning "Audit ""Log""".id into id;
  return next is(id, 5001::bigint, 'the next id follows the last one');
end $$;

create function tests.test_convert_identity_position() returns setof text language plpgsql as $$
declare p jsonb; id bigint;
begin
  create table tests_ident (id bigint generated always as identity, ts timestamptz not null default now(), primary key (id, ts));
  insert into tests_ident (ts) select now() - i * interval '1 day' from generate_series(1, 42) i;
  p := _tide.convert_preflight('tests_ident', 'ts', '1 month', 2, null, 'drop', 'UTC', false, now(), true);
  perform _tide.convert_add_checks('tests_ident', 'ts', 'timestamptz', p->>'lower_bound', p->>'upper_bound');
  perform _tide.convert_validate('tests_ident');
  perform _tide.convert_swap(p);
  insert into tests_ident default values returning tests_ident.id into id;
  return next is(id, 43::bigint, 'an identity column continues where it was');
end $$;

create function tests.test_split_step_moves_oldest_month() returns setof text language plpgsql as $$
declare before text; after text; s record;
begin
  select count(*) || '/' || sum(hashtext(t::text)) into before from "Conv.Ö"."Audit ""Log""" t;
  perform tests.convert_hostile();
  loop
    select * into s from _tide.convert_split_step('"Conv.Ö"."Audit ""Log"""', 1000);
    exit when s.action like 'legacy partition now starts%';
  end loop;
  select count(*) || '/' || sum(hashtext(t::text)) into after from "Conv.Ö"."Audit ""Log""" t;
  return next is(after, before, 'after the first month is split off, every row is still there once');
  return next ok(to_regclass('"Conv.Ö"."Audit ""Log""_2025_01"') is not null, 'January is its own partition');
  return next is((select lower_bound from _tide.partition_bounds('"Conv.Ö"."Audit ""Log""_legacy"')), '2025-02-01 00:00:00+00',
                 'the legacy partition now starts in February');
end $$;

-- shapes a partitioned table or the ATTACH cannot take: refused by the preflight, before the
-- CHECKs are added and validated, not by a raw error half-way through the swap
create function tests.shaped(t text, extra text default '') returns void language plpgsql as $$
begin
  execute format('create table %s %s (id bigint generated always as identity, ts timestamptz not null, v int, primary key (id, ts))', t, extra);
  execute format('insert into %s (ts, v) select now() - i * interval ''1 hour'', i from generate_series(1, 500) i', t);
end $$;
select tests.shaped('tests_nv_check');
alter table tests_nv_check add constraint "V ""pos""" check (v > 0) not valid;
select tests.shaped('tests_nv_fk');
create table tests_nv_target (v int primary key);
insert into tests_nv_target select generate_series(1, 500);
alter table tests_nv_fk add constraint "V.fk" foreign key (v) references tests_nv_target not valid;
select tests.shaped('tests_noinherit');
alter table tests_noinherit add constraint "v not inherited" check (v > 0) no inherit;
select tests.shaped('tests_transition');
create function tests.noop() returns trigger language plpgsql as $$ begin return null; end $$;
create trigger "Row Audit" after insert on tests_transition referencing new table as fresh for each row execute function tests.noop();
create type tests_rowt as (id bigint, ts timestamptz, v int);
create table tests_typed of tests_rowt (ts with options not null, primary key (id, ts));
insert into tests_typed (id, ts, v) select i, now() - i * interval '1 hour', i from generate_series(1, 500) i;
select tests.shaped('tests_idx_clash');
create index tests_idx_clash_v_idx on tests_idx_clash (id);
create index "Foo" on tests_idx_clash (v);

create function tests.refuses_unchanged(t regclass, code text, what text, names text, hint text)
returns setof text language plpgsql as $$
declare
  rows_before text;
  m text; h text; d text; st text;
begin
  execute format('select count(*) || ''/'' || sum(hashtext(x::text)) from %s x', t) into rows_before;
  begin
    call tide.convert(t, 'ts', '1 month');
  exception when others then
    get stacked diagnostics st = returned_sqlstate, m = message_text, d = pg_exception_detail, h = pg_exception_hint;
  end;
  return next is(st, code, what || ' with SQLSTATE ' || code);
  return next matches(m, names, 'the message names the table and the offending object');
  return next ok(d is not null, 'the refusal has a DETAIL');
  return next matches(h, hint, 'the HINT says what to do');
  return next is((select count(*)::int from pg_constraint where conrelid = t and conname like 'tide\_legacy\_%'), 0,
                 'no conversion CHECK was added');
  return next is((select relkind::text from pg_class where oid = t), 'r', 'the table is still a plain table');
  return next is(to_regclass(t::text || '_legacy'), null, 'nothing was renamed');
  return query execute format('select is(count(*) || ''/'' || sum(hashtext(x::text)), %L, %L) from %s x',
                              rows_before, 'its rows are the same', t);
end $$;

create function tests.test_refuses_not_valid_check() returns setof text language sql as $$
  select tests.refuses_unchanged('tests_nv_check', '55000', 'a NOT VALID check constraint is refused',
                                 'check constraint "V ""pos""" of table public.tests_nv_check is NOT VALID',
                                 'ALTER TABLE public.tests_nv_check VALIDATE CONSTRAINT "V ""pos"""');
$$;
create function tests.test_refuses_not_valid_foreign_key() returns setof text language sql as $$
  select tests.refuses_unchanged('tests_nv_fk', '55000', 'a NOT VALID foreign key is refused',
                                 'foreign key "V.fk" of table public.tests_nv_fk is NOT VALID',
                                 'ALTER TABLE public.tests_nv_fk VALIDATE CONSTRAINT "V.fk"');
$$;
create function tests.test_refuses_no_inherit_check() returns setof text language sql as $$
  select tests.refuses_unchanged('tests_noinherit', '0A000', 'a NO INHERIT check constraint is refused',
                                 'check constraint "v not inherited" of table public.tests_noinherit is NO INHERIT',
                                 'DROP CONSTRAINT "v not inherited"');
$$;
create function tests.test_refuses_transition_table_trigger() returns setof text language sql as $$
  select tests.refuses_unchanged('tests_transition', '0A000', 'a row trigger with a transition table is refused',
                                 'table public.tests_transition has row-level trigger "Row Audit" with a transition table',
                                 'FOR EACH STATEMENT');
$$;
create function tests.test_refuses_typed_table() returns setof text language sql as $$
  select tests.refuses_unchanged('tests_typed', '0A000', 'a typed table is refused',
                                 'table public.tests_typed is a typed table \(OF public\.tests_rowt\)',
                                 'ALTER TABLE public.tests_typed NOT OF');
$$;

-- index tests_idx_clash_v_idx is on (id) and "Foo" on (v): the name LIKE gives "Foo"'s copy is
-- tests_idx_clash_v_idx; the swap still gives each index of the partitioned table its own name
create function tests.test_convert_index_names_that_clash() returns setof text language plpgsql as $$
declare p jsonb := _tide.convert_preflight('tests_idx_clash', 'ts', '1 month', 2, null, 'drop', 'UTC', true, now(), true);
begin
  perform _tide.convert_add_checks('tests_idx_clash', 'ts', 'timestamptz', p->>'lower_bound', p->>'upper_bound');
  perform _tide.convert_validate('tests_idx_clash');
  perform _tide.convert_swap(p);
  return next is((select relkind::text from pg_class where oid = 'tests_idx_clash'::regclass), 'p', 'the table is converted');
  return next set_eq($q$select c.relname || ' ' || regexp_replace(pg_get_indexdef(i.indexrelid), '^.* USING ', '')
                         from pg_index i join pg_class c on c.oid = i.indexrelid
                        where i.indrelid = 'tests_idx_clash'::regclass$q$,
                     array['tests_idx_clash_pkey btree (id, ts)', 'tests_idx_clash_v_idx btree (id)', 'Foo btree (v)'],
                     'each index of the partitioned table has its original name');
end $$;

-- The legacy partition's bounds sit on the engine's grid and hold every row, also where a DST change
-- repeats an hour (America/New_York, 2031-11-02) or a midnight (America/Havana, 2031-11-02).
create function tests.test_convert_grid_edge_is_the_engine_grid() returns setof text language plpgsql as $$
declare
  cfg record;
  mt _tide.managed_tables;
  v timestamptz;
  lo timestamptz;
  hi timestamptz;
  bad text[] := '{}';
begin
  for cfg in select * from (values ('ce_h_ny', '1 hour', 'America/New_York'), ('ce_d_hav', '1 day', 'America/Havana'),
                                   ('ce_m_hav', '1 month', 'America/Havana')) x(tbl, every, zone) loop
    execute format('create table %I (at timestamptz not null) partition by range (at)', cfg.tbl);
    perform tide.manage(cfg.tbl::regclass, 'at', cfg.every, premake => 1, start_at => '2031-01-01', time_zone => cfg.zone,
                        default_partition => false);
    mt := _tide.load_managed_table(cfg.tbl::regclass);
    for v in select generate_series(timestamptz '2031-11-01 20:00+00', '2031-11-02 12:00+00', interval '10 minutes') loop
      lo := _tide.convert_grid_edge(v::text, 'timestamptz', mt.every_interval, null, cfg.zone)::timestamptz;
      hi := _tide.convert_grid_edge(v::text, 'timestamptz', mt.every_interval, null, cfg.zone, true)::timestamptz;
      if not (lo <= v and v < hi) or _tide.key_position(mt, lo::text) <> _tide.grid_floor(mt, _tide.key_position(mt, v::text)) then
        bad := bad || format('%s: %s in [%s, %s)', cfg.tbl, v, lo, hi);
      end if;
    end loop;
  end loop;
  return next is(bad, '{}'::text[], 'every value lies in [edge, edge above), and the edge is the grid''s floor');
end $$;
