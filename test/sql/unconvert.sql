-- tide.unconvert: every refusal (SQLSTATE, and the catalog unchanged), and both paths run through
-- their non-committing steps (pgTAP rolls each test back): the detach path right after convert,
-- the copy path after split_legacy, with writes replayed. Commits and kills: test/ts/unconvert.test.ts.

create schema "Unc.Ö";
create table "Unc.Ö"."Fresh ""Log""" (
  id bigserial, "At Time" timestamptz not null default now(), actor text not null default 'system', detail jsonb,
  constraint "Fresh PK" primary key (id, "At Time"));
create index "Fresh By Actor" on "Unc.Ö"."Fresh ""Log""" (actor, "At Time");
comment on table "Unc.Ö"."Fresh ""Log""" is 'fresh log';
comment on column "Unc.Ö"."Fresh ""Log""".actor is 'who did it';
grant select on "Unc.Ö"."Fresh ""Log""" to tide_monitor;
insert into "Unc.Ö"."Fresh ""Log""" ("At Time", actor, detail)
  select timestamptz '2025-01-01 00:00+00' + i * interval '37 minutes', 'u' || (i % 7), jsonb_build_object('i', i)
    from generate_series(1, 2000) i;
call tide.convert('"Unc.Ö"."Fresh ""Log"""', 'At Time', '1 month');

create table "Unc.Ö"."Split Log" (
  id bigint generated always as identity, ts timestamptz not null default now(), v text,
  g integer generated always as (length(v)) stored, primary key (id, ts));
create index "Split By V" on "Unc.Ö"."Split Log" (v);
comment on table "Unc.Ö"."Split Log" is 'split log';
comment on column "Unc.Ö"."Split Log".v is 'vee';
grant insert, select on "Unc.Ö"."Split Log" to tide_monitor;
grant update (v) on "Unc.Ö"."Split Log" to tide_admin;
-- idempotent, so a row moved between partitions (re-inserted) keeps its generated column in step
create function tests.bang() returns trigger language plpgsql as $$
begin if position('!' in new.v) = 0 then new.v := new.v || '!'; end if; return new; end $$;
create trigger "Split Bang" before insert on "Unc.Ö"."Split Log" for each row execute function tests.bang();
insert into "Unc.Ö"."Split Log" (ts, v) select now() - interval '40 days' + i * interval '13 minutes', 'v' || i from generate_series(1, 3000) i;
call tide.convert('"Unc.Ö"."Split Log"', 'ts', '1 week', premake => 2);
call tide.split_legacy('"Unc.Ö"."Split Log"', 1000);

-- refusal fixtures: managed tables with rows in two partitions
create function tests.managed(t text, with_pk boolean default true) returns void language plpgsql as $$
begin
  execute format('create table %s (id bigint not null, ts timestamptz not null%s) partition by range (ts)', t,
                 case when with_pk then ', primary key (id, ts)' else '' end);
  perform tide.manage(t::regclass, 'ts', '1 month', start_at => '2026-01-01');
  execute format('insert into %s select i, timestamptz ''2026-01-15'' + (i %% 3) * interval ''1 month'' from generate_series(1, 30) i', t);
end $$;
select tests.managed('u_keyless', false);
select tests.managed('u_referenced');
create table u_referencing (rid bigint, rts timestamptz, foreign key (rid, rts) references u_referenced);
select tests.managed('u_viewed');
create view u_a_view as select * from u_viewed;
select tests.managed('u_published');
create publication u_pub for table u_published;
select tests.managed('u_rls');
alter table u_rls enable row level security;
select tests.managed('u_taken');
create table u_taken_unconverted (x int);
select tests.managed('u_detached');
create table u_detached_old (id bigint, ts timestamptz);
insert into _tide.detached (partition, parent_oid, parent) values ('u_detached_old', 'u_detached'::regclass, 'u_detached');
select tests.managed('u_archived');
insert into _tide.archives (parent_oid, parent, partition_name) values ('u_archived'::regclass, 'u_archived', 'u_archived_2025_01');
create table u_splitting (id bigint not null, ts timestamptz not null, primary key (id, ts));
insert into u_splitting select i, now() - i * interval '1 day' from generate_series(1, 100) i;
call tide.convert('u_splitting', 'ts', '1 week');
update _tide.legacy set state = 'splitting' where parent = 'u_splitting'::regclass;
create table u_unmanaged (id bigint, ts timestamptz not null) partition by range (ts);

create function tests.shape(t regclass) returns text language sql as $$
  select format('%s|%s parts|managed %s|unconverting %s|triggers %s|target %s', c.relkind,
                (select count(*) from pg_inherits where inhparent = t),
                exists (select from _tide.managed_tables where parent = t),
                exists (select from _tide.unconverts where parent = t),
                (select count(*) from pg_trigger where tgrelid = t and not tgisinternal),
                (select count(*) from pg_class where relname like '%\_unconverted' and relkind = 'r'))
    from pg_class c where c.oid = t;
$$;
create function tests.refuses(t regclass, code text, what text, batch integer default 10000)
returns setof text language plpgsql as $$
declare
  before text := tests.shape(t);
begin
  return next throws_ok(format('call tide.unconvert(%L, %s)', t::text, batch), code, null, what);
  return next is(tests.shape(t), before, what || ' — and nothing changed');
end $$;
create function tests.checksum(t regclass) returns text language plpgsql as $$
declare r text;
begin
  execute format('select count(*) || ''/'' || coalesce(sum(hashtext(x::text)), 0) from %s x', t) into r;
  return r;
end $$;
-- run the copy path to the end inside the test's transaction
create function tests.run_copy(t regclass, batch integer) returns integer language plpgsql as $$
declare st record; n integer := 0;
begin
  perform _tide.unconvert_start(t);
  loop
    select * into st from _tide.unconvert_step(t, batch);
    n := n + 1;
    exit when st.done or n > 10000;
  end loop;
  return n;
end $$;

create function tests.test_refuses_unmanaged() returns setof text language sql as $$
  select tests.refuses('u_unmanaged', 'TD001', 'a table pgtide does not manage is refused');
$$;
create function tests.test_refuses_bad_batch_rows() returns setof text language sql as $$
  select tests.refuses('u_referenced', '22023', 'batch_rows 0 is refused', 0);
$$;
create function tests.test_refuses_referenced() returns setof text language sql as $$
  select tests.refuses('u_referenced', '55000', 'a table a foreign key references is refused');
$$;
create function tests.test_refuses_view() returns setof text language sql as $$
  select tests.refuses('u_viewed', '55000', 'a table a view depends on is refused');
$$;
create function tests.test_refuses_published() returns setof text language sql as $$
  select tests.refuses('u_published', '55000', 'a published table is refused');
$$;
create function tests.test_refuses_rls() returns setof text language sql as $$
  select tests.refuses('u_rls', '0A000', 'a table with row-level security is refused');
$$;
create function tests.test_refuses_detached_kept() returns setof text language sql as $$
  select tests.refuses('u_detached', '55000', 'a table with a detached partition still kept is refused');
$$;
create function tests.test_refuses_archive_pending() returns setof text language sql as $$
  select tests.refuses('u_archived', '55000', 'a table with an archive pending is refused');
$$;
create function tests.test_refuses_split_in_progress() returns setof text language sql as $$
  select tests.refuses('u_splitting', '55000', 'a table whose split_legacy is in progress is refused');
$$;
create function tests.test_refuses_keyless_copy() returns setof text language sql as $$
  select tests.refuses('u_keyless', '55000', 'a table without a key whose rows span partitions is refused', 1);
$$;
create function tests.test_refuses_target_taken() returns setof text language sql as $$
  select tests.refuses('u_taken', '42P07', 'a taken <name>_unconverted is refused', 1);
$$;
create function tests.test_refusal_names_table_and_hints() returns setof text language plpgsql as $$
declare m text; d text; h text;
begin
  begin
    call tide.unconvert('u_referenced');
  exception when object_not_in_prerequisite_state then
    get stacked diagnostics m = message_text, d = pg_exception_detail, h = pg_exception_hint;
  end;
  return next matches(m, 'u_referencing.*u_referenced', 'the message names the referencing and the referenced table');
  return next isnt(d, null, 'a DETAIL says why');
  return next matches(h, 'DROP CONSTRAINT', 'the HINT says what to do');
end $$;

create function tests.test_preflight_plans_detach_after_convert() returns setof text language plpgsql as $$
declare plan jsonb := _tide.unconvert_preflight('"Unc.Ö"."Fresh ""Log"""', 10000);
begin
  return next is(plan->>'path', 'detach', 'right after convert the legacy partition holds every row: detach path');
  return next is(plan->>'keep_partition', '"Unc.Ö"."Fresh ""Log""_legacy"', 'the partition kept is the legacy one');
  return next is(_tide.unconvert_preflight('"Unc.Ö"."Split Log"', 10)->>'path', 'copy', 'after split_legacy: copy path');
end $$;

create function tests.test_detach_path_keeps_everything() returns setof text language plpgsql as $$
declare
  t regclass := '"Unc.Ö"."Fresh ""Log"""';
  before text := tests.checksum(t);
  res jsonb;
  nextid bigint;
begin
  res := _tide.unconvert_locked(t, 'detach', 10000);
  t := '"Unc.Ö"."Fresh ""Log"""';
  return next ok((res->>'done')::boolean, 'the detach path finishes in one step');
  return next is((select relkind::text from pg_class where oid = t), 'r', 'the table is plain again');
  return next is(tests.checksum(t), before, 'every row is kept (count and checksum)');
  return next bag_eq(format($q$select c.relname::text from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = %s$q$, t::oid),
                     array['Fresh PK', 'Fresh By Actor'], 'indexes carry their original names');
  return next is(obj_description(t, 'pg_class'), 'fresh log', 'the table comment is kept');
  return next is(col_description(t, 3), 'who did it', 'the column comment is kept');
  return next ok(has_table_privilege('tide_monitor', t, 'select'), 'grants are kept');
  return next is((select count(*)::int from pg_constraint where conrelid = t and conname like 'tide\_%'), 0, 'no tide CHECK is left');
  return next ok(not exists (select from _tide.managed_tables where parent_name = 'Fresh "Log"'), 'pgtide no longer manages it');
  return next ok(not exists (select from _tide.legacy where legacy_name = 'Fresh "Log"_legacy'), 'the legacy bookkeeping is gone');
  execute format('insert into %s default values returning id', t) into nextid;
  return next is(nextid, 2001::bigint, 'the sequence continues where it was');
  return next lives_ok(format($q$insert into %s ("At Time") values ('1990-01-01')$q$, t), 'rows outside the old legacy range are accepted');
end $$;

create function tests.test_detach_falls_back_when_rows_elsewhere() returns setof text language plpgsql as $$
declare before text := tests.shape('"Unc.Ö"."Split Log"');
begin
  return next is(_tide.unconvert_locked('"Unc.Ö"."Split Log"', 'detach', 10)->>'done', 'false',
                 'the detach step declines when more than batch_rows rows lie outside the largest partition');
  return next is(tests.shape('"Unc.Ö"."Split Log"'), before, 'and changes nothing');
end $$;

create function tests.test_start_prepares_the_copy() returns setof text language plpgsql as $$
declare t regclass := '"Unc.Ö"."Split Log"'; res jsonb;
begin
  res := _tide.unconvert_start(t);
  return next is(res->>'target', '"Unc.Ö"."Split Log_unconverted"', 'the plain table is <name>_unconverted');
  return next is((res->>'rows_total')::int, 3000, 'it counts the rows to copy');
  return next ok(exists (select from pg_trigger where tgrelid = t and tgname = 'tide_unconvert_capture'), 'the capture trigger is on the table');
  return next is((select count(*)::int from _tide.unconvert_progress where parent = t), (select count(*)::int from pg_inherits where inhparent = t),
                 'one cursor per partition');
  return next ok(not (select enabled from _tide.managed_tables where parent = t), 'maintenance is paused');
  return next is(_tide.unconvert_start(t)->>'resumed', 'true', 'starting again resumes and changes nothing');
end $$;

create function tests.test_copy_batch_follows_the_key() returns setof text language plpgsql as $$
declare t regclass := '"Unc.Ö"."Split Log"'; u _tide.unconverts; p regclass; c1 record; c2 record; n bigint;
begin
  perform _tide.unconvert_start(t);
  select * into u from _tide.unconverts where parent = t;
  select partition into p from _tide.list_partitions(_tide.load_managed_table(t)) limit 1;
  execute format('select count(*) from %s', p) into n;
  select * into c1 from _tide.unconvert_copy(u.target, p, u.key_columns, null, 100);
  select * into c2 from _tide.unconvert_copy(u.target, p, u.key_columns, c1.next_key, null);
  return next is(c1.rows, least(n, 100), 'a batch copies at most batch_rows rows');
  return next is(c1.rows + c2.rows, n, 'the next batch starts after the last key: every row once');
  return next is(tests.checksum(u.target), tests.checksum(p), 'the copied rows equal the partition''s');
  select * into c2 from _tide.unconvert_copy(u.target, p, u.key_columns, null, null);
  return next is(tests.checksum(u.target), tests.checksum(p), 'copying again adds nothing');
end $$;

create function tests.test_copy_path_keeps_everything_and_replays_writes() returns setof text language plpgsql as $$
declare
  t regclass := '"Unc.Ö"."Split Log"';
  seq_before bigint;
  expected text;
  nextid bigint;
begin
  perform _tide.unconvert_start(t);
  -- writes while copying: new rows, updates, deletes, a row moving between partitions
  perform _tide.unconvert_step(t, 500);
  execute format('insert into %s (ts, v) select now() - interval ''1 day'' * i, ''new'' || i from generate_series(1, 50) i', t);
  execute format('update %s set v = v || ''-upd'' where id %% 10 = 0', t);
  execute format('delete from %s where id %% 7 = 0', t);
  execute format('update %s set ts = ts - interval ''20 days'' where id %% 11 = 0', t);
  expected := tests.checksum(t);
  seq_before := (select last_value from pg_sequences where schemaname = 'Unc.Ö' and sequencename = (select relname from pg_class where oid = pg_get_serial_sequence(t::text, 'id')::regclass));
  perform tests.run_copy(t, 500);
  t := '"Unc.Ö"."Split Log"';
  return next is((select relkind::text from pg_class where oid = t), 'r', 'the table is plain again');
  return next is(tests.checksum(t), expected, 'every row is there, with every write made while copying (count and checksum)');
  return next bag_eq(format($q$select c.relname::text from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = %s$q$, t::oid),
                     array['Split Log_pkey', 'Split By V'], 'indexes carry the parent''s names');
  return next is(obj_description(t, 'pg_class'), 'split log', 'the table comment is kept');
  return next is(col_description(t, 3), 'vee', 'the column comment is kept');
  return next ok(has_table_privilege('tide_monitor', t, 'insert'), 'table grants are kept');
  return next ok(has_column_privilege('tide_admin', t, 'v', 'update'), 'column grants are kept');
  return next ok(not exists (select from pg_trigger where tgrelid = t and tgname = 'tide_unconvert_capture'), 'the capture trigger is gone');
  return next ok(exists (select from pg_trigger where tgrelid = t and tgname = 'Split Bang'), 'the table''s own trigger is kept');
  execute format('insert into %s (v) values (''x'') returning id', t) into nextid;
  return next is(nextid, seq_before + 1, 'the identity continues where it was');
  return next is((select v || g from "Unc.Ö"."Split Log" where id = nextid), 'x!2', 'defaults, trigger and generated column work');
  return next ok(not exists (select from _tide.managed_tables where parent_name = 'Split Log'), 'pgtide no longer manages it');
  return next ok(not exists (select from _tide.unconverts), 'no unconvert state is left');
  return next ok(not exists (select from _tide.unconvert_changes), 'no recorded change is left');
  return next is((select count(*)::int from pg_class where relname like 'Split Log\_%' and relkind = 'r'), 0, 'no partition is left');
end $$;

create function tests.test_replay_is_idempotent() returns setof text language plpgsql as $$
declare t regclass := '"Unc.Ö"."Split Log"'; u _tide.unconverts; before text;
begin
  perform _tide.unconvert_start(t);
  select * into u from _tide.unconverts where parent = t;
  execute format('insert into %s (ts, v) values (now(), ''a''), (now(), ''b'')', t);
  execute format('update %s set v = ''c'' where v = ''a!''', t);
  return next is(_tide.unconvert_replay(t, u.target, u.key_columns, null), 3::bigint, 'three recorded changes are replayed');
  before := tests.checksum(u.target);
  return next is(before, '2/' || (select sum(hashtext(x::text)) from "Unc.Ö"."Split Log" x where v in ('c', 'b!')), 'the plain table holds the final rows');
  insert into _tide.unconvert_changes (parent, relid, op, old_row, new_row)
    select t, tableoid, 'INSERT', null, x::text from "Unc.Ö"."Split Log" x where v in ('c', 'b!');
  perform _tide.unconvert_replay(t, u.target, u.key_columns, null);
  return next is(tests.checksum(u.target), before, 'replaying the same rows again changes nothing');
end $$;
