// The installer on real connections: idempotence, twenty concurrent installs, uninstall with
// user data present, preflight failures, and `plan` applied by psql matching `install`.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { install, plan, PGTIDE_TABLES, replaceRoutineSql, uninstall } from "../../installer/install.js";
import { doctor } from "../../installer/doctor.js";
import { judge, type Facts } from "../../installer/preflight.js";
import { startCluster, stopCluster } from "../../installer/cluster.js";
import { migrations } from "../../installer/sources.js";
import { freshDatabase, type TestDatabase } from "./db.js";

const run = promisify(execFile);
const made: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(made.map((d) => d.drop()));
});

async function emptyDb(prefix: string): Promise<TestDatabase> {
  const d = await freshDatabase({ empty: true, prefix });
  made.push(d);
  return d;
}

/** Catalog of tide/_tide: every object with a checksum of its definition and privileges. */
async function fingerprint(c: pg.ClientBase): Promise<string[]> {
  const r = await c.query<{ line: string }>(
    `select kind || ' ' || identity || ' ' || definition_md5 as line from _tide.catalog_fingerprint() order by 1`,
  );
  return r.rows.map((x) => x.line);
}

async function dumpSchema(url: string): Promise<string> {
  const { stdout } = await run("pg_dump", ["--schema-only", "--no-owner", "-n", "tide", "-n", "_tide", url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout.replace(/^(--.*|\\(un)?restrict .*)$/gm, "").replace(/\n{2,}/g, "\n");
}

describe("install", () => {
  it("installs into an empty database and a second install changes nothing", async () => {
    const d = await emptyDb("idem");
    const c = await d.client();
    const first = await install(c);
    expect(first.codeApplied).toBe(true);
    expect(first.migrationsRun).toEqual(migrations().map((m) => m.name));
    const before = await fingerprint(c);
    const xmins = await c.query(`select p.oid, p.xmin::text from pg_proc p where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace) order by 1`);
    const second = await install(c);
    expect(second.codeApplied).toBe(false);
    expect(second.migrationsRun).toEqual([]);
    expect(await fingerprint(c)).toEqual(before);
    const xmins2 = await c.query(`select p.oid, p.xmin::text from pg_proc p where p.pronamespace in ('tide'::regnamespace, '_tide'::regnamespace) order by 1`);
    expect(xmins2.rows).toEqual(xmins.rows);
    expect((await doctor(c)).findings).toEqual([]);
  });

  it("ends twenty concurrent installs with one correct installation and no error", async () => {
    const d = await emptyDb("conc");
    const clients = await Promise.all(Array.from({ length: 20 }, () => d.client()));
    const results = await Promise.allSettled(clients.map((c) => install(c, { waitSeconds: 120 })));
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    expect(failures).toEqual([]);
    const applied = results.filter((r) => r.status === "fulfilled" && r.value.codeApplied).length;
    expect(applied).toBe(1);
    const c = clients[0]!;
    const m = await c.query<{ n: string }>(`select count(*) as n from _tide.pgmigrations`);
    expect(Number(m.rows[0]?.n)).toBe(migrations().length);
    expect((await doctor(c)).findings).toEqual([]);
  });

  it("records the version and the sha256 of the applied source", async () => {
    const d = await emptyDb("ver");
    const c = await d.client();
    const r = await install(c);
    const row = await c.query<{ version: string; source_sha256: string }>(`select version, source_sha256 from _tide.installation`);
    expect(row.rows[0]).toEqual({ version: r.version, source_sha256: r.sourceSha256 });
    expect(r.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lets doctor report a dropped function and a stray one, and install --force restore it", async () => {
    const d = await emptyDb("doctor");
    const c = await d.client();
    await install(c);
    await c.query(`drop function _tide.lock_key(text, oid)`);
    await c.query(`create function tide.stray_thing() returns int language sql as 'select 1'`);
    const report = await doctor(c);
    expect(report.findings).toContainEqual(expect.objectContaining({ check: "catalog missing", level: "critical" }));
    expect(report.findings.some((f) => f.check === "catalog stray" && f.message.includes("tide.stray_thing()"))).toBe(true);
    await c.query(`drop function tide.stray_thing()`);
    await install(c, { force: true });
    expect((await doctor(c)).findings).toEqual([]);
  });

  it("lets doctor find a function altered by hand", async () => {
    const d = await emptyDb("altered");
    const c = await d.client();
    await install(c);
    await c.query(`create or replace function _tide.record_catalog(routines text[]) returns integer language sql set search_path = pg_catalog, pg_temp as 'select 0'`);
    const report = await doctor(c);
    expect(report.findings).toContainEqual(expect.objectContaining({ check: "catalog altered", level: "critical" }));
    await install(c, { force: true });
    expect((await doctor(c)).findings).toEqual([]);
  });
});

describe("schema", () => {
  it("matches the committed dump of a fresh install (test/schema/fresh-install.pgdump; update with vitest -u)", async () => {
    const d = await emptyDb("dump");
    const c = await d.client();
    await install(c, { createCronExtension: false });
    await expect(await dumpSchema(d.url)).toMatchFileSnapshot("../schema/fresh-install.pgdump");
  });
});

describe("plan", () => {
  it("prints SQL that, applied by psql to an empty database, gives the same catalog as install", async () => {
    const a = await emptyDb("plan_a");
    const b = await emptyDb("plan_b");
    const ca = await a.client();
    await install(ca, { createCronExtension: false });
    const dir = mkdtempSync(join(tmpdir(), "pgtide-plan-"));
    const file = join(dir, "plan.sql");
    writeFileSync(file, await plan(null));
    try {
      await run("psql", [b.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-f", file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const cb = await b.client();
    expect(await fingerprint(cb)).toEqual(await fingerprint(ca));
    expect(await dumpSchema(b.url)).toEqual(await dumpSchema(a.url));
    const names = async (c: pg.Client) => (await c.query(`select name from _tide.pgmigrations order by id`)).rows;
    expect(await names(cb)).toEqual(await names(ca));
    // both record every routine they created as pgtide's (uninstall and doctor go by that record)
    const recorded = async (c: pg.Client) =>
      (await c.query(`select identity from _tide.catalog_objects where kind in ('function', 'procedure') order by 1`)).rows;
    const routines = await ca.query(`select count(*)::int as n from pg_proc where pronamespace in ('tide'::regnamespace, '_tide'::regnamespace)`);
    expect((await recorded(ca)).length).toBe(routines.rows[0].n);
    expect(await recorded(cb)).toEqual(await recorded(ca));
    expect((await doctor(cb)).findings).toEqual([]);
  });

  it("on an installed database with a migration to run, drops pgtide's views before the migrations, as install's pre-check does", async () => {
    const d = await freshDatabase({ prefix: "plan_upg" });
    made.push(d);
    const c = await d.client();
    const gone = await c.query<{ name: string }>(`delete from _tide.pgmigrations where name >= '016_obs_tables_position_note' returning name`);
    const sql = await plan(c);
    const views = sql.indexOf("-- drop views (recreated below)");
    expect(views).toBeGreaterThan(0);
    expect(views).toBeLessThan(sql.indexOf("-- migration migrations/016_obs_tables_position_note.sql"));
    // an up-to-date database's plan has no migration, and drops the views only in the code step
    await c.query(`insert into _tide.pgmigrations (name, run_on) select unnest($1::text[]), now()`, [gone.rows.map((r) => r.name)]);
    const upToDate = await plan(c);
    expect(upToDate.split("-- drop views (recreated below)").length).toBe(2);
  });

  it("touches nothing in the database it plans for", async () => {
    const d = await emptyDb("plan_ro");
    const c = await d.client();
    const sql = await plan(c);
    expect(sql).toContain("create schema if not exists _tide");
    const r = await c.query<{ n: string }>(`select count(*) as n from pg_namespace where nspname in ('tide', '_tide')`);
    expect(Number(r.rows[0]?.n)).toBe(0);
  });
});

describe("upgrade refused before its migrations", () => {
  it("a user's view over tide.* stops the upgrade before any migration commits (2BP01), not between migrations and code", async () => {
    const d = await freshDatabase({ prefix: "upg_view" });
    made.push(d);
    const c = await d.client();
    await c.query(`create view public.my_tables as select * from tide.tables`);
    // an upgrade with a migration to run: forget the newest one, as if this database were one version older
    const newest = await c.query<{ name: string }>(`select name from _tide.pgmigrations order by run_on desc, id desc limit 1`);
    await c.query(`delete from _tide.pgmigrations where name = $1`, [newest.rows[0]!.name]);
    const err = await install(c, { createCronExtension: false }).then(() => null, (e: { code?: string; message: string }) => e);
    expect(err?.code).toBe("2BP01");
    expect(err?.message).toContain("cannot replace its views");
    // the DETAIL names the user's view and the view of ours it reads, not only "other objects depend on them"
    expect(err?.detail).toMatch(/view (public\.)?my_tables \(depends on tide\.tables\)/);
    const again = await c.query(`select count(*)::int as n from _tide.pgmigrations where name = $1`, [newest.rows[0]!.name]);
    expect(again.rows[0].n).toBe(0);  // the migration did not run
    expect((await c.query(`select count(*)::int as n from public.my_tables`)).rows[0].n).toBeGreaterThanOrEqual(0);
  });
});

describe("upgrade over an earlier version's functions", () => {
  it("replaces a function whose result columns changed (_tide.obs_tables gained position_note), which CREATE OR REPLACE cannot", async () => {
    const d = await freshDatabase({ prefix: "upg_result" });
    made.push(d);
    const c = await d.client();
    // the state an earlier version left: obs_tables with other result columns, tide.tables over it
    await c.query(`drop view tide.tables`);
    await c.query(`drop function _tide.obs_tables(timestamptz)`);
    await c.query(`create function _tide.obs_tables(as_of timestamptz default now()) returns table(parent regclass, partitions integer)
                   language sql as 'select null::regclass, 0 where false'`);
    await c.query(`create view tide.tables as select * from _tide.obs_tables(now())`);
    await c.query(`delete from _tide.pgmigrations where name >= '016_obs_tables_position_note'`);
    // force: the code step runs whatever the version says (an upgrade's new version would make it run)
    const up = await install(c, { createCronExtension: false, force: true });
    expect(up.migrationsRun).toContain("016_obs_tables_position_note");
    const cols = await c.query<{ n: number }>(
      `select count(*)::int as n from information_schema.columns where table_schema = 'tide' and table_name = 'tables' and column_name = 'position_note'`);
    expect(cols.rows[0]!.n).toBe(1);
  });

  it("replaces a routine whose result type or parameter names changed without a migration (42P13 for CREATE OR REPLACE)", async () => {
    const d = await freshDatabase({ prefix: "upg_42p13" });
    made.push(d);
    const c = await d.client();
    // as an earlier version could have left them: another result type, another parameter name
    await c.query(`drop function _tide.key_type_max(regtype)`);
    await c.query(`create function _tide.key_type_max(control_type regtype) returns numeric language sql as 'select 0::numeric'`);
    await c.query(`drop function _tide.is_utf8_escapes(text)`);
    await c.query(`create function _tide.is_utf8_escapes(other_name text) returns boolean language sql as 'select false'`);
    // a view of the user's over one of them: the install stops (2BP01) naming it, changing nothing
    await c.query(`create view public.my_max as select _tide.key_type_max('integer'::regtype) as m`);
    const err = await install(c, { createCronExtension: false, force: true }).then(() => null, (e: { code?: string; message: string; detail?: string }) => e);
    expect(err?.code).toBe("2BP01");
    expect(err?.message).toContain("pgtide cannot replace _tide.key_type_max(regtype): objects of yours depend on it");
    expect(err?.detail).toContain("view public.my_max depends on function _tide.key_type_max(regtype)");
    expect((await c.query(`select pg_get_function_result('_tide.key_type_max(regtype)'::regprocedure) as r`)).rows[0].r).toBe("numeric");
    await c.query(`drop view public.my_max`);
    await install(c, { createCronExtension: false, force: true });
    const r = await c.query(`select pg_get_function_result('_tide.key_type_max(regtype)'::regprocedure) as result,
                                    pg_get_function_arguments('_tide.is_utf8_escapes(text)'::regprocedure) as args,
                                    _tide.key_type_max('integer') as max`);
    expect(r.rows[0]).toEqual({ result: "bigint", args: "uri text", max: "2147483647" });
    expect((await doctor(c)).findings).toEqual([]);
  });

  it("reports a new routine's own definition error (42P13), not the missing routine the retry would drop", async () => {
    const d = await freshDatabase({ prefix: "new_42p13" });
    made.push(d);
    const c = await d.client();
    const sql = `create or replace function _tide.zz_new(a integer default 1, b integer) returns integer language sql as 'select 1';
comment on function _tide.zz_new(integer, integer) is 'x';`;
    const err = await c.query(replaceRoutineSql(sql, "_tide.zz_new(integer, integer)")).then(() => null, (e: { code?: string; message: string }) => e);
    expect(err?.code).toBe("42P13");
    expect(err?.message).toContain("input parameters after one with a default value must also have defaults");
  });

  it("keeps a superseded routine an object of the user's depends on, with a note saying how to drop it", async () => {
    const d = await freshDatabase({ prefix: "upg_sigs_dep" });
    made.push(d);
    const c = await d.client();
    await c.query(`create function _tide.next_due_at(mt _tide.managed_tables, as_of timestamptz) returns timestamptz language sql as 'select as_of'`);
    await c.query(`create view public.my_due as select _tide.next_due_at(null::_tide.managed_tables, '2030-01-01 00:00+00') as at`);
    await c.query(`delete from _tide.pgmigrations where name >= '017_drop_superseded_signatures'`);
    const up = await install(c, { createCronExtension: false });
    expect(up.migrationsRun).toEqual(["017_drop_superseded_signatures"]);
    const said = up.notes.join("\n");
    expect(said).toContain("pgtide: _tide.next_due_at(_tide.managed_tables, timestamptz), superseded, not dropped: objects of yours depend on it");
    expect(said).toContain("hint: Point them at the current form, then: DROP FUNCTION _tide.next_due_at(_tide.managed_tables, timestamptz);");
    expect((await c.query(`select to_regprocedure('_tide.next_due_at(_tide.managed_tables, timestamptz)') is not null as kept`)).rows[0].kept).toBe(true);
    expect((await c.query(`select count(*)::int as n from public.my_due`)).rows[0].n).toBe(1);
  });

  it("drops the routines an earlier version left under superseded signatures, which made shorter calls ambiguous (42725)", async () => {
    const d = await freshDatabase({ prefix: "upg_sigs" });
    made.push(d);
    const c = await d.client();
    // as an install from before the parameter was added left them, next to the current forms
    await c.query(`create function tide.partitions_scanned(query text) returns table (partition regclass, parent regclass, node text, subplans_removed integer)
                   language sql as 'select null::regclass, null::regclass, null::text, 0 where false'`);
    await c.query(`create function _tide.next_due_at(mt _tide.managed_tables, as_of timestamptz) returns timestamptz language sql as 'select null::timestamptz'`);
    await c.query(`create function _tide.record_catalog() returns integer language sql as 'select 0'`);
    await c.query(`create function tide.claim_archive(worker text, only_archive bigint) returns integer language sql as 'select 0'`);
    await c.query(`create function _tide.obs_explain(query text) returns jsonb language sql as 'select null::jsonb'`);
    await c.query(`create function _tide.detached_name(mt _tide.managed_tables, rel name) returns name language sql as 'select rel'`);
    const ambiguous = await c.query(`select * from tide.partitions_scanned('select 1')`).then(() => null, (e: { code?: string }) => e.code);
    expect(ambiguous).toBe("42725");
    await c.query(`delete from _tide.pgmigrations where name >= '017_drop_superseded_signatures'`);
    const up = await install(c, { createCronExtension: false });
    expect(up.migrationsRun).toEqual(["017_drop_superseded_signatures"]);
    const left = await c.query(`select array_agg(s) filter (where to_regprocedure(s) is not null) as left
                                  from unnest(array['tide.partitions_scanned(text)', '_tide.next_due_at(_tide.managed_tables, timestamptz)',
                                                    '_tide.record_catalog()', 'tide.claim_archive(text, bigint)', '_tide.obs_explain(text)',
                                                    '_tide.detached_name(_tide.managed_tables, name)']) s`);
    expect(left.rows[0].left).toBeNull();
    expect((await c.query(`select count(*)::int as n from tide.partitions_scanned('select 1')`)).rows[0].n).toBe(0);
    expect((await doctor(c)).findings).toEqual([]);
  });
});

describe("a user's view in schema tide", () => {
  it("is left alone by an upgrade when it reads none of pgtide's views", async () => {
    const d = await freshDatabase({ prefix: "tide_view" });
    made.push(d);
    const c = await d.client();
    await c.query(`create view tide.my_managed as select count(*)::int as n from _tide.managed_tables`);
    await c.query(`comment on view tide.my_managed is 'mine'`);
    const r = await install(c, { force: true, createCronExtension: false });
    expect(r.codeApplied).toBe(true);
    expect((await c.query(`select n from tide.my_managed`)).rows).toEqual([{ n: 0 }]);
    expect((await c.query(`select obj_description('tide.my_managed'::regclass, 'pg_class') as d`)).rows).toEqual([{ d: "mine" }]);
  });

  it("over one of pgtide's views refuses the upgrade before any migration (2BP01), naming it, and stays", async () => {
    const d = await freshDatabase({ prefix: "tide_view_dep" });
    made.push(d);
    const c = await d.client();
    await c.query(`create view tide.my_tables as select parent from tide.tables`);
    const newest = await c.query<{ name: string }>(`select name from _tide.pgmigrations order by run_on desc, id desc limit 1`);
    await c.query(`delete from _tide.pgmigrations where name = $1`, [newest.rows[0]!.name]);
    const err = await install(c, { createCronExtension: false }).then(() => null, (e: { code?: string; detail?: string; hint?: string }) => e);
    expect(err?.code).toBe("2BP01");
    expect(err?.detail).toMatch(/^view tide\.my_tables \(depends on tide\.tables\)$/m);
    expect(err?.hint).toContain("ALTER VIEW tide.<name> SET SCHEMA");
    const again = await c.query(`select count(*)::int as n from _tide.pgmigrations where name = $1`, [newest.rows[0]!.name]);
    expect(again.rows[0].n).toBe(0);  // the migration did not run
    expect((await c.query(`select count(*)::int as n from tide.my_tables`)).rows[0].n).toBe(0);
    // once it is gone the upgrade goes through
    await c.query(`drop view tide.my_tables`);
    expect((await install(c, { createCronExtension: false })).migrationsRun).toEqual([newest.rows[0]!.name]);
  });
});

describe("re-run with a user's view over tide.*", () => {
  it("is a no-op when the install is up to date: the view is no reason to refuse", async () => {
    const d = await freshDatabase({ prefix: "rerun_view" });
    made.push(d);
    const c = await d.client();
    await c.query(`create view public.my_health as select * from tide.health`);
    const before = await fingerprint(c);
    const r = await install(c, { createCronExtension: false });
    expect(r.codeApplied).toBe(false);
    expect(r.migrationsRun).toEqual([]);
    expect(await fingerprint(c)).toEqual(before);
    // --force re-applies the code, which the view stops, before anything changed
    const err = await install(c, { force: true, createCronExtension: false }).then(() => null, (e: { code?: string }) => e);
    expect(err?.code).toBe("2BP01");
  });
});

describe("uninstall", () => {
  it("removes tide and _tide but never a user's table, partition or row", async () => {
    const d = await freshDatabase({ prefix: "uninst" });
    made.push(d);
    const c = await d.client();
    await c.query(`create table public."Events ünïcode" (id bigint generated always as identity, at timestamptz not null, body text)
                   partition by range (at)`);
    await c.query(`select tide.manage('public."Events ünïcode"'::regclass, 'at', '1 month', premake => 2,
                                      start_at => '2026-01-01', default_partition => true)`);
    await c.query(`insert into public."Events ünïcode" (at, body)
                   select timestamptz '2026-01-01' + (i || ' hours')::interval, 'row ' || i from generate_series(0, 999) i`);
    const before = await c.query(`select tableoid::regclass::text as part, count(*)::int as n, md5(string_agg(body, ',' order by id)) as sum
                                    from public."Events ünïcode" group by 1 order by 1`);
    expect(before.rows.length).toBeGreaterThan(1);
    // a fence on the default (a CHECK of ours on the user's table) must go with pgtide
    await c.query(`insert into public."Events ünïcode" (at, body) values ('2020-01-01', 'in the default')`);
    await c.query(`update tide.config set premake = 4 where parent = 'public."Events ünïcode"'::regclass`);
    const fence = await c.query(`select _tide.fence_default(_tide.load_managed_table('public."Events ünïcode"'::regclass), now()) as f`);
    expect(fence.rows[0].f).toMatch(/^tide_fence_/);
    const fenced = `select count(*)::int as n from pg_constraint where conname like 'tide_fence%'`;
    expect((await c.query(fenced)).rows[0].n).toBe(1);
    const withDefault = await c.query(`select tableoid::regclass::text as part, count(*)::int as n, md5(string_agg(body, ',' order by id)) as sum
                                         from public."Events ünïcode" group by 1 order by 1`);
    const r = await uninstall(c, { targetUrl: d.url });
    expect((await c.query(fenced)).rows[0].n).toBe(0);
    expect(r.keptTables).toEqual(['"Events ünïcode"']);
    const schemas = await c.query(`select nspname from pg_namespace where nspname in ('tide', '_tide')`);
    expect(schemas.rows).toEqual([]);
    const after = await c.query(`select tableoid::regclass::text as part, count(*)::int as n, md5(string_agg(body, ',' order by id)) as sum
                                   from public."Events ünïcode" group by 1 order by 1`);
    expect(after.rows).toEqual(withDefault.rows);
    // and the user's table still takes writes into its partitions
    await c.query(`insert into public."Events ünïcode" (at, body) values ('2026-01-15', 'after uninstall')`);
  });

  it("refuses (2BP01, nothing changed) when objects of the user's would go with pgtide's schemas", async () => {
    const d = await freshDatabase({ prefix: "uninst_guard" });
    made.push(d);
    const c = await d.client();
    await c.query(`create table public.ug (at timestamptz not null, v text) partition by range (at)`);
    await c.query(`select tide.manage('public.ug', 'at', '1 month', premake => 1, start_at => '2026-01-01', default_partition => false)`);
    await c.query(`create view public.ug_health as select * from tide.health`);
    // a table of the user's in a pgtide schema (as an earlier version let detach_schema put there)
    await c.query(`create table tide.ug_kept (v text)`);
    await c.query(`insert into tide.ug_kept values ('precious')`);
    // views of the user's in pgtide's schemas: one over pgtide's, one over nothing of pgtide's
    await c.query(`create view tide.ug_mine as select count(*) as n from tide.tables`);
    await c.query(`create view _tide.ug_note as select 'mine'::text as note`);
    // and a function, a sequence and types of the user's
    await c.query(`create function _tide.ug_fn() returns int language sql as 'select 1'`);
    await c.query(`create sequence tide.ug_seq`);
    await c.query(`create type tide.ug_mood as enum ('calm', 'stormy')`);
    await c.query(`create type _tide.ug_pair as (a int, b int)`);
    await c.query(`create collation tide.ug_coll (provider = libc, locale = 'C')`);
    await c.query(`create statistics _tide.ug_stats (dependencies) on at, v from public.ug`);
    await c.query(`create publication ug_pub for tables in schema _tide`);
    await c.query(`create extension pg_trgm schema tide`);
    const err = await uninstall(c, { targetUrl: d.url }).then(() => null, (e: { code?: string; message: string; detail?: string }) => e);
    expect(err?.code).toBe("2BP01");
    expect(err?.detail).toContain("view ug_health");
    expect(err?.detail).toContain("tide.ug_kept");
    expect(err?.detail).toContain("view tide.ug_mine (lives in a pgtide schema)");
    expect(err?.detail).toContain("view _tide.ug_note (lives in a pgtide schema)");
    expect(err?.detail).toContain("function _tide.ug_fn() (lives in a pgtide schema)");
    expect(err?.detail).toContain("sequence tide.ug_seq (lives in a pgtide schema)");
    expect(err?.detail).toContain("type tide.ug_mood (lives in a pgtide schema)");
    expect(err?.detail).toContain("type _tide.ug_pair (lives in a pgtide schema)");
    expect(err?.detail).toContain("collation tide.ug_coll (lives in a pgtide schema)");
    expect(err?.detail).toContain("statistics object _tide.ug_stats (lives in a pgtide schema)");
    expect(err?.detail).toContain("publication ug_pub (publishes the tables of schema _tide)");
    // an extension is named once, not with each of its functions, operators and types
    expect(err?.detail).toContain("extension pg_trgm (lives in a pgtide schema)");
    expect(err?.detail).not.toMatch(/similarity|gtrgm/);
    // nothing of pgtide's own is named as the user's: every line is one of the objects above
    expect(err?.detail?.split("\n").filter((l) => !/ug_|pg_trgm/.test(l))).toEqual([]);
    // pgtide's own views are not the user's
    expect(err?.detail).not.toMatch(/view tide\.(health|tables|config|partitions) \(lives in/);
    const schemas = await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
    expect(schemas.rows[0].n).toBe(2);
    expect((await c.query(`select v from tide.ug_kept`)).rows).toEqual([{ v: "precious" }]);
    expect((await c.query(`select count(*)::int as n from public.ug_health`)).rows[0].n).toBeGreaterThanOrEqual(0);
    // once the user's objects are out of the way, uninstall goes through
    await c.query(`alter table tide.ug_kept set schema public`);
    await c.query(`drop view public.ug_health`);
    await c.query(`drop view tide.ug_mine`);
    await c.query(`alter view _tide.ug_note set schema public`);
    await c.query(`alter function _tide.ug_fn() set schema public`);
    await c.query(`alter sequence tide.ug_seq set schema public`);
    await c.query(`alter type tide.ug_mood set schema public`);
    await c.query(`alter type _tide.ug_pair set schema public`);
    await c.query(`alter collation tide.ug_coll set schema public`);
    await c.query(`alter statistics _tide.ug_stats set schema public`);
    await c.query(`drop publication ug_pub`);
    await c.query(`alter extension pg_trgm set schema public`);
    await uninstall(c, { targetUrl: d.url });
    expect((await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`)).rows[0].n).toBe(0);
    expect((await c.query(`select v from public.ug_kept`)).rows).toEqual([{ v: "precious" }]);
  });

  it("refuses for a function of the user's that overloads one of pgtide's names, made before the last install or after it; doctor calls both stray", async () => {
    const d = await freshDatabase({ prefix: "uninst_overload" });
    made.push(d);
    const c = await d.client();
    // made before an install: that install's record keeps only the routines its code step wrote
    await c.query(`create function _tide.grid_point(x text) returns text language sql as 'select x'`);
    await install(c, { force: true });
    await c.query(`create function tide.manage(x integer) returns integer language sql as 'select x'`);
    // one of pgtide's dropped by hand: its record resolves to nothing, and the others still count
    await c.query(`drop function _tide.is_utf8_escapes(text)`);
    const err = await uninstall(c, { targetUrl: d.url }).then(() => null, (e: { code?: string; detail?: string }) => e);
    expect(err?.code).toBe("2BP01");
    // the two of the user's, and nothing of pgtide's own (its manage and grid_point among them)
    expect(err?.detail?.split("\n").sort()).toEqual([
      "function _tide.grid_point(text) (lives in a pgtide schema)",
      "function tide.manage(integer) (lives in a pgtide schema)",
    ]);
    expect((await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`)).rows[0].n).toBe(2);
    const stray = (await doctor(c)).findings.filter((f) => f.check === "catalog stray").map((f) => f.message).sort();
    expect(stray).toEqual([
      "function _tide.grid_point(text) is not part of this installation",
      "function tide.manage(integer) is not part of this installation",
    ]);
    await c.query(`drop function _tide.grid_point(text)`);
    await c.query(`drop function tide.manage(integer)`);
    // a record as an older version made it (every routine there was, the user's too): names still count
    await c.query(`create function _tide.ug_old() returns int language sql as 'select 1'`);
    await c.query(`insert into _tide.catalog_objects (kind, identity, definition_md5) values ('function', '_tide.ug_old()', 'x')`);
    const old = await uninstall(c, { targetUrl: d.url }).then(() => null, (e: { code?: string; detail?: string }) => e);
    expect(old?.detail).toBe("function _tide.ug_old() (lives in a pgtide schema)");
    await c.query(`drop function _tide.ug_old()`);
    // a signature that is no routine's fails the record (42883) and leaves it as it was
    const before = (await c.query(`select count(*)::int as n from _tide.catalog_objects`)).rows[0].n;
    const bad = await c.query(`select _tide.record_catalog(array['_tide.no_such(text)', '_tide.grid_point(no_such_type)'])`)
      .then(() => null, (e: { code?: string; message: string }) => e);
    expect(bad?.code).toBe("42883");
    expect(bad?.message).toContain("_tide.no_such(text), _tide.grid_point(no_such_type)");
    expect((await c.query(`select count(*)::int as n from _tide.catalog_objects`)).rows[0].n).toBe(before);
    await uninstall(c, { targetUrl: d.url });
    expect((await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`)).rows[0].n).toBe(0);
  });

  it("refuses while a table of the user's lives in _tide, whether made there or a partition detached there by an earlier version", async () => {
    const d = await freshDatabase({ prefix: "uninst_own" });
    made.push(d);
    const c = await d.client();
    await c.query(`create table public.ev (at timestamptz not null, v text) partition by range (at)`);
    await c.query(`select tide.manage('public.ev', 'at', '1 month', premake => 1, start_at => '2026-01-01', default_partition => false)`);
    // the state an earlier version left: detach_schema = '_tide', and retention's detached partition there
    await c.query(`alter table _tide.managed_tables disable trigger managed_tables_check`);
    await c.query(`update _tide.managed_tables set on_expire = 'detach', detach_schema = '_tide' where parent = 'public.ev'::regclass`);
    await c.query(`alter table _tide.managed_tables enable trigger managed_tables_check`);
    await c.query(`create table _tide.ev_p2020_01 (at timestamptz not null, v text)`);
    await c.query(`insert into _tide.ev_p2020_01 values ('2020-01-05', 'detached row')`);
    await c.query(`insert into _tide.detached (partition, parent_oid, parent, lower_bound, upper_bound)
                   values ('_tide.ev_p2020_01', 'public.ev'::regclass::oid, 'public.ev', '2020-01-01', '2020-02-01')`);
    // a table the user made in _tide
    await c.query(`create table _tide.my_notes (note text)`);
    await c.query(`insert into _tide.my_notes values ('keep me')`);
    // the upgrade: migration 013 repairs the setting and says what is left to move
    // (and the migrations after it, which node-pg-migrate runs in order)
    await c.query(`delete from _tide.pgmigrations where name >= '013_detach_schema_not_ours'`);
    const up = await install(c, { createCronExtension: false });
    expect(up.migrationsRun[0]).toBe("013_detach_schema_not_ours");
    const warning = up.notes.find((n) => /detach_schema of (public\.)?ev /.test(n));
    expect(warning).toContain("_tide.ev_p2020_01");
    expect(warning).toContain("ALTER TABLE ... SET SCHEMA");
    const cfg = await c.query(`select detach_schema from _tide.managed_tables where parent = 'public.ev'::regclass`);
    expect(cfg.rows).toEqual([{ detach_schema: null }]);
    const err = await uninstall(c, { targetUrl: d.url }).then(() => null, (e: { code?: string; detail?: string }) => e);
    expect(err?.code).toBe("2BP01");
    expect(err?.detail).toContain("table _tide.ev_p2020_01 (lives in a pgtide schema)");
    expect(err?.detail).toContain("table _tide.my_notes (lives in a pgtide schema)");
    expect((await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`)).rows[0].n).toBe(2);
    expect((await c.query(`select v from _tide.ev_p2020_01`)).rows).toEqual([{ v: "detached row" }]);
    expect((await c.query(`select note from _tide.my_notes`)).rows).toEqual([{ note: "keep me" }]);
    // moved out, they stay the user's and uninstall goes through
    await c.query(`alter table _tide.ev_p2020_01 set schema public`);
    await c.query(`alter table _tide.my_notes set schema public`);
    await uninstall(c, { targetUrl: d.url });
    expect((await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`)).rows[0].n).toBe(0);
    expect((await c.query(`select v from public.ev_p2020_01`)).rows).toEqual([{ v: "detached row" }]);
    expect((await c.query(`select note from public.my_notes`)).rows).toEqual([{ note: "keep me" }]);
  });

  it("knows every table a fresh install creates as pgtide's own (PGTIDE_TABLES)", async () => {
    const d = await emptyDb("own_tables");
    const c = await d.client();
    await install(c, { createCronExtension: false });
    const r = await c.query<{ t: string }>(
      `select c.relname as t from pg_class c where c.relnamespace in ('tide'::regnamespace, '_tide'::regnamespace)
          and c.relkind in ('r', 'p', 'm', 'f') order by 1`,
    );
    expect(r.rows.map((x) => x.t).sort()).toEqual([...PGTIDE_TABLES].sort());
  });

  it("refuses nothing and reports nothing kept when pgtide was never installed", async () => {
    const d = await emptyDb("uninst_empty");
    const c = await d.client();
    const r = await uninstall(c);
    expect(r.keptTables).toEqual([]);
  });
});

describe("preflight", () => {
  const facts: Facts = {
    serverVersionNum: 150018,
    serverVersion: "15.18",
    database: "app",
    currentUser: "app_owner",
    isSuperuser: false,
    inRecovery: false,
    sharedPreloadLibraries: "pg_cron",
    cronDatabaseName: "app",
    cronDatabaseNameReadable: true,
    cronExtensionInstalled: true,
    canCreateSchema: true,
    alreadyInstalled: false,
    installedSchemas: [],
  };

  it("refuses a server older than 14, saying which version it found", () => {
    const r = judge({ ...facts, serverVersionNum: 130011, serverVersion: "13.11" });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === "server version")).toMatchObject({ level: "error" });
    expect(r.checks.find((c) => c.name === "server version")?.message).toContain("13.11");
  });

  it("refuses a role that may not create schemas, with the GRANT to run", () => {
    const r = judge({ ...facts, canCreateSchema: false });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === "privileges")?.message).toContain("GRANT CREATE ON DATABASE app TO app_owner");
  });

  it("refuses to upgrade as the owner of the schemas when objects in them belong to another role, naming it", () => {
    const installed = { ...facts, alreadyInstalled: true,
      installedSchemas: [{ schema: "tide", owner: "app_owner", isOwner: true }, { schema: "_tide", owner: "app_owner", isOwner: true }] };
    expect(judge({ ...installed, foreignObjectOwners: [] }).ok).toBe(true);
    const r = judge({ ...installed, foreignObjectOwners: ["postgres"] });
    expect(r.ok).toBe(false);
    const msg = r.checks.find((c) => c.name === "privileges")?.message ?? "";
    expect(msg).toContain("belong to role postgres");
    expect(msg).toContain("run pgtide install as postgres");
  });

  it("refuses a standby", () => {
    expect(judge({ ...facts, inRecovery: true }).ok).toBe(false);
  });

  it("uses cron.schedule_in_database when this database is not cron.database_name", () => {
    const r = judge({ ...facts, cronDatabaseName: "postgres" });
    expect(r.ok).toBe(true);
    expect(r.scheduling).toBe("pg_cron_other_database");
    expect(r.checks.find((c) => c.name === "pg_cron")?.message).toContain("cron.schedule_in_database");
  });

  it("judges pg_cron loaded when cron.database_name exists but this role may not read it, and says so", () => {
    const r = judge({ ...facts, sharedPreloadLibraries: null, cronDatabaseName: null, cronDatabaseNameReadable: false, cronExtensionInstalled: false });
    expect(r.scheduling).toBe("pg_cron_other_database");
    const msg = r.checks.find((c) => c.name === "pg_cron")?.message ?? "";
    expect(msg).toContain("may not read cron.database_name");
    expect(msg).toContain("--cron-database-url");
    const here = judge({ ...facts, sharedPreloadLibraries: null, cronDatabaseName: null, cronDatabaseNameReadable: false, cronExtensionInstalled: true });
    expect(here.scheduling).toBe("pg_cron");
  });

  it("refuses to upgrade as a role that does not own the installed schemas, naming their owner", () => {
    const installed = [
      { schema: "tide", owner: "postgres", isOwner: false },
      { schema: "_tide", owner: "postgres", isOwner: false },
    ];
    const r = judge({ ...facts, alreadyInstalled: true, installedSchemas: installed });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === "privileges")?.message).toContain("pgtide is installed here by role postgres");
    const owner = judge({ ...facts, alreadyInstalled: true, installedSchemas: installed.map((n) => ({ ...n, isOwner: true })) });
    expect(owner.ok).toBe(true);
    expect(judge({ ...facts, alreadyInstalled: true, canCreateSchema: false, installedSchemas: installed.map((n) => ({ ...n, isOwner: true })) }).ok).toBe(false);
  });

  it("installs on a server without pg_cron and says how to schedule maintenance another way", async () => {
    // cron.database_name set without the library: a placeholder, which does not make pg_cron loaded
    const cluster = await startCluster({ fast: true, settings: { shared_preload_libraries: "''", "cron.database_name": "'postgres'" } });
    try {
      const c = new pg.Client({ connectionString: cluster.url() });
      await c.connect();
      try {
        const r = await install(c);
        expect(r.codeApplied).toBe(true);
        expect(r.preflight.scheduling).toBe("external");
        expect(r.notes.join("\n")).toContain("CALL tide.run_maintenance()");
        const loc = await c.query(`select loaded, database, setting_readable from _tide.cron_location()`);
        expect(loc.rows[0]).toEqual({ loaded: false, database: null, setting_readable: true });
        const ok = await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
        expect(ok.rows[0]?.n).toBe(2);
      } finally {
        await c.end();
      }
    } finally {
      await stopCluster(cluster.dir);
    }
  });

  it("uninstalls where pg_cron is loaded but its extension was never created (no job can exist)", async () => {
    const cluster = await startCluster({ fast: true });  // pg_cron preloaded, cron.database_name = postgres, no CREATE EXTENSION
    try {
      const admin = new pg.Client({ connectionString: cluster.url() });
      await admin.connect();
      await admin.query(`create database app`).finally(() => admin.end());
      const c = new pg.Client({ connectionString: cluster.url("app") });
      await c.connect();
      try {
        await install(c, { createCronExtension: false });
        const loc = await c.query(`select loaded, database, schema_usable from _tide.cron_location()`);
        expect(loc.rows[0]).toEqual({ loaded: true, database: "postgres", schema_usable: false });
        const r = await uninstall(c, { targetUrl: cluster.url("app") });
        expect(r.unscheduled).toBe(false);
        const left = await c.query(`select count(*)::int as n from pg_namespace where nspname in ('tide', '_tide')`);
        expect(left.rows[0].n).toBe(0);
      } finally {
        await c.end();
      }
    } finally {
      await stopCluster(cluster.dir);
    }
  });
});
