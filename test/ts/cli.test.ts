// The `pgtide` binary as a user runs it (built by `make test` into dist/): exit codes, JSON,
// and the commands that wrap library functions.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { pgtide, requireCli } from "./cli-run.js";
import type pg from "pg";
import { adminQuery, freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
let c: pg.Client;
beforeAll(async () => {
  requireCli();
  db = await freshDatabase({ prefix: "cli" });
  c = await db.client();
});
afterAll(async () => db?.drop());

describe("pgtide CLI", () => {
  it("status --json lists the managed tables, and its exit code follows the worst health severity", async () => {
    await c.query(`create table cli_ok (at timestamptz not null) partition by range (at)`);
    await c.query(`select count(*) from tide.manage('cli_ok', 'at', '1 day', premake => 3)`);
    await c.query(`call tide.run_maintenance()`);
    const r = await pgtide(["status", "--json", "--database-url", db.url]);
    const report = JSON.parse(r.stdout) as { tables: { parent: string }[]; health: { check: string; severity: string }[] };
    expect(report.tables.map((t) => t.parent)).toContain("public.cli_ok");
    const expected = report.health.some((h) => h.severity === "critical") ? 2 : report.health.length ? 1 : 0;
    expect(r.code).toBe(expected);
  });

  it("status exits 2 when a managed table has no partition ahead (critical)", async () => {
    await c.query(`create table cli_bad (at timestamptz not null) partition by range (at)`);
    await c.query(`select count(*) from tide.manage('cli_bad', 'at', '1 day', premake => 2, default_partition => false)`);
    const parts = await c.query<{ p: string }>(
      `select inhrelid::regclass::text as p from pg_inherits where inhparent = 'cli_bad'::regclass`,
    );
    for (const p of parts.rows) await c.query(`drop table ${p.p}`);
    const r = await pgtide(["status", "--database-url", db.url]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("cli_bad");
  });

  it("plan --offline prints a psql script without connecting", async () => {
    const r = await pgtide(["plan", "--offline"], { DATABASE_URL: "postgresql://nobody@127.0.0.1:1/none" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^-- pgtide .* install plan/m);
    expect(r.stdout).toContain("create or replace procedure tide.run_maintenance");
  });

  it("doctor exits 0 on a fresh install and 2 when a function was dropped", async () => {
    expect((await pgtide(["doctor", "--database-url", db.url])).code).toBe(0);
    const d2 = await freshDatabase({ prefix: "cli_doc" });
    try {
      const c2 = await d2.client();
      await c2.query(`drop function _tide.lock_key(text, oid)`);
      const r = await pgtide(["doctor", "--database-url", d2.url]);
      expect(r.code).toBe(2);
      expect(r.stdout).toContain("_tide.lock_key(text,oid)");
    } finally {
      await d2.drop();
    }
  });

  it("convert --dry-run prints the plan and changes nothing; convert --split converts and splits with progress", async () => {
    await c.query(`create table cli_plain (id bigint generated always as identity primary key, at timestamptz not null, v text)`);
    await c.query(`alter table cli_plain drop constraint cli_plain_pkey, add primary key (id, at)`);
    await c.query(`insert into cli_plain (at, v) select now() - (i || ' hours')::interval, 'v' || i from generate_series(1, 2000) i`);
    const dry = await pgtide(["convert", "cli_plain", "at", "1 month", "--dry-run", "--database-url", db.url]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/plan:/);
    expect(dry.stdout).toContain("dry run: nothing changed");
    const kind = await c.query<{ k: string }>(`select relkind::text as k from pg_class where oid = 'cli_plain'::regclass`);
    expect(kind.rows[0]!.k).toBe("r");

    const real = await pgtide(["convert", "cli_plain", "at", "1 month", "--split", "--batch-rows", "500", "--database-url", db.url]);
    expect(real.code).toBe(0);
    expect(real.stdout).toMatch(/rows moved/);
    const after = await c.query<{ k: string; n: number }>(
      `select (select relkind::text from pg_class where oid = 'cli_plain'::regclass) as k, (select count(*)::int from cli_plain) as n`,
    );
    expect(after.rows[0]).toEqual({ k: "p", n: 2000 });
  });

  it("unschedule --json prints JSON", async () => {
    const r = await pgtide(["unschedule", "--json", "--database-url", db.url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ removed: false });
  });

  it("status, metrics, schedule and unschedule on a database without pgtide say so and how to install it", async () => {
    const bare = await freshDatabase({ empty: true, prefix: "cli_bare" });
    try {
      for (const cmd of ["status", "metrics", "schedule", "unschedule"]) {
        const r = await pgtide([cmd, "--database-url", bare.url]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`pgtide is not installed in database ${bare.name}`);
        expect(r.stderr).toContain("HINT: run  pgtide install");
      }
    } finally {
      await bare.drop();
    }
  });

  it("a Unix socket that is not there gets the connection hint", async () => {
    const r = await pgtide(["status"], { DATABASE_URL: "", PGHOST: "/nonexistent", PGPORT: "5432" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot connect to the database");
    expect(r.stderr).toContain("HINT: check --database-url");
  });

  it("an unknown command exits 64 with the usage", async () => {
    const r = await pgtide(["frobnicate"]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain("usage: pgtide <command>");
  });

  // the suite's own cluster listens on a Unix socket of its folder; a server named by URL may not
  it.runIf(inject("backend") === "local")("schedule and unschedule reach pg_cron's database when the connection comes from PG* variables over a Unix socket", async () => {
    const sock = (await adminQuery<{ d: string }>(`select current_setting('unix_socket_directories') as d`)).rows[0]!.d.split(",")[0]!.trim();
    const u = new URL(db.url);
    const env = { DATABASE_URL: undefined, PGHOST: sock, PGPORT: u.port, PGUSER: decodeURIComponent(u.username), PGDATABASE: db.name };
    const s = await pgtide(["schedule", "--json"], env);
    expect(s.stderr).toBe("");
    expect(s.code).toBe(0);
    expect((JSON.parse(s.stdout) as { cronDatabase: string }).cronDatabase).toBe("postgres");
    const un = await pgtide(["unschedule", "--json"], env);
    expect(un.code).toBe(0);
  });
});
