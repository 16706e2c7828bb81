// Maintenance against a live application, on real connections: an open reader and a steady
// stream of inserts while partitions are created and retired, two runs at once, and
// maintenance backends killed at random points. The reason people choose pgtide.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertLoop, sleep } from "./app.js";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "locks" });
});
afterAll(async () => db?.drop());

const DAY = 86_400_000;
/** manage() creates ahead of the real clock, so fixtures are laid out around today (UTC). */
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const day = (n: number, hours = 0) => new Date(TODAY + n * DAY + hours * 3_600_000).toISOString();

function firstDayName(parent: string): string {
  const d = new Date(TODAY);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${parent}_${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}`;
}

async function partitionsOf(c: pg.Client, parent: string): Promise<{ name: string; bound: string }[]> {
  const r = await c.query<{ name: string; bound: string }>(
    `select i.inhrelid::regclass::text as name, pg_get_expr(k.relpartbound, k.oid) as bound
       from pg_inherits i join pg_class k on k.oid = i.inhrelid
      where i.inhparent = $1::regclass order by 1`,
    [parent],
  );
  return r.rows;
}

async function logFor(c: pg.Client, parent: string, since: Date) {
  const r = await c.query<{ action: string; outcome: string; partition: string | null }>(
    `select action, outcome, partition from _tide.log where parent_oid = $1::regclass::oid and logged_at >= $2 order by log_id`,
    [parent, since],
  );
  return r.rows;
}

describe("maintenance never stalls the application", () => {
  it("creates partitions while a reader holds the parent open and inserts keep flowing under 50 ms", async () => {
    const admin = await db.client();
    const reader = await db.client();
    const writer = await db.client();
    await admin.query(`create table app_events (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
    await admin.query(`select tide.manage('app_events', 'at', '1 day', premake => 3, start_at => '${day(0)}', default_partition => false)`);
    await admin.query(`call tide.run_maintenance('app_events', $1)`, [day(0, 12)]);
    const before = (await partitionsOf(admin, "app_events")).length;

    await reader.query("begin");
    await reader.query("select count(*) from app_events");
    const inserts = insertLoop(writer, "app_events", day(0, 13));
    await sleep(200);
    const since = new Date();
    const t0 = performance.now();
    await admin.query(`call tide.run_maintenance('app_events', $1)`, [day(7, 12)]);
    const took = performance.now() - t0;
    await sleep(200);
    const stats = await inserts.stop();
    await reader.query("commit");

    const after = (await partitionsOf(admin, "app_events")).length;
    expect(after - before).toBe(7);
    const log = await logFor(admin, "app_events", since);
    expect(log.filter((l) => l.outcome !== "ok")).toEqual([]);
    expect(took).toBeLessThan(3000);
    expect(stats.errors).toEqual([]);
    expect(stats.count).toBeGreaterThan(5);
    expect(stats.max).toBeLessThan(50);
  });

  it("gives up retention within its lock budget while a reader is open, never stalls inserts beyond the lock timeout, and drops on the next run", async () => {
    const admin = await db.client();
    const reader = await db.client();
    const writer = await db.client();
    await admin.query(`create table app_expiring (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
    await admin.query(`select tide.manage('app_expiring', 'at', '1 day', premake => 2, keep => '3 days', start_at => '${day(0)}', default_partition => false)`);
    await admin.query(`call tide.run_maintenance('app_expiring', $1)`, [day(1)]);
    await admin.query(`insert into app_expiring (at, note) values ($1, 'old')`, [day(0, 6)]);
    const cfg = await admin.query<{ ms: number; retries: number }>(
      `select extract(epoch from lock_timeout) * 1000 as ms, lock_retries as retries from _tide.managed_tables where parent = 'app_expiring'::regclass`,
    );
    const lockMs = Number(cfg.rows[0]!.ms);
    const retries = Number(cfg.rows[0]!.retries);

    await reader.query("begin");
    await reader.query("select count(*) from app_expiring");
    const inserts = insertLoop(writer, "app_expiring", day(2, 10));
    await sleep(100);
    const since = new Date();
    const t0 = performance.now();
    await admin.query(`call tide.run_maintenance('app_expiring', $1)`, [day(5)]);
    const took = performance.now() - t0;
    const stats = await inserts.stop();
    const log = await logFor(admin, "app_expiring", since);
    expect(log.some((l) => l.outcome === "lock_timeout")).toBe(true);
    expect((await partitionsOf(admin, "app_expiring")).map((p) => p.name)).toContain(firstDayName("app_expiring"));
    // every attempt waits at most lock_timeout; backoff between attempts is bounded too
    expect(took).toBeLessThan((retries + 1) * lockMs + retries * 1000 + 2000);
    expect(stats.errors).toEqual([]);
    expect(stats.max).toBeLessThan(lockMs + 100);

    await reader.query("commit");
    await admin.query(`call tide.run_maintenance('app_expiring', $1)`, [day(5)]);
    const names = (await partitionsOf(admin, "app_expiring")).map((p) => p.name);
    expect(names).not.toContain(firstDayName("app_expiring"));
  });

  it("fences a default partition holding rows before creating ahead: every ATTACH skips the default's scan, inserts keep flowing", async () => {
    const admin = await db.client();
    const writer = await db.client();
    await admin.query(`create table app_fenced (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
    await admin.query(`select tide.manage('app_fenced', 'at', '1 day', premake => 2, start_at => '${day(0)}')`);
    await admin.query(`call tide.run_maintenance('app_fenced', $1)`, [day(0, 12)]);
    // 200,000 old rows in the default: an unfenced ATTACH would read them all under ACCESS EXCLUSIVE
    await admin.query(`insert into app_fenced (at, note) select '2020-01-01'::timestamptz + g * interval '1 minute', 'old' from generate_series(1, 200000) g`);
    await admin.query(`update tide.config set premake = 5 where parent = 'app_fenced'::regclass`);
    const before = (await partitionsOf(admin, "app_fenced")).length;

    const implied: string[] = [];
    admin.on("notice", (n) => {
      if (/updated partition constraint for default partition .* is implied by existing constraints/.test(n.message ?? "")) implied.push(n.message!);
    });
    await admin.query("set client_min_messages = debug1");
    const inserts = insertLoop(writer, "app_fenced", "2020-06-01T00:00:00Z");  // rows that land in the default
    await sleep(200);
    const since = new Date();
    await admin.query(`call tide.run_maintenance('app_fenced', $1)`, [day(0, 12)]);
    await admin.query("reset client_min_messages");
    await sleep(200);
    const stats = await inserts.stop();

    expect((await partitionsOf(admin, "app_fenced")).length - before).toBe(3);
    const log = await logFor(admin, "app_fenced", since);
    expect(log.filter((l) => l.outcome !== "ok")).toEqual([]);
    expect(log.filter((l) => l.action === "fence")).toHaveLength(1);
    expect(implied).toHaveLength(3);  // one per ATTACH: PostgreSQL proved the default holds no row of the new range
    const fences = await admin.query(`select conname, convalidated from pg_constraint where conrelid = 'app_fenced_default'::regclass and conname like 'tide_fence%'`);
    expect(fences.rows).toEqual([expect.objectContaining({ convalidated: true })]);
    expect(stats.errors).toEqual([]);
    expect(stats.max).toBeLessThan(100 + 50);
    expect(Number((await admin.query(`select count(*) as n from app_fenced where note = 'old'`)).rows[0].n)).toBe(200000);
  });

  it("serialises two runs at once: one skips what the other is doing and nothing is created twice", async () => {
    const admin = await db.client();
    const tables = Array.from({ length: 12 }, (_, i) => `app_pair_${i}`);
    for (const t of tables) {
      await admin.query(`create table ${t} (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
      await admin.query(`select tide.manage('${t}', 'at', '1 day', premake => 2, start_at => '${day(0)}', default_partition => false)`);
    }
    const since = new Date();
    const [a, b] = [await db.client(), await db.client()];
    await Promise.all([a.query(`call tide.run_maintenance(null, $1)`, [day(40)]), b.query(`call tide.run_maintenance(null, $1)`, [day(40)])]);
    for (const t of tables) {
      const parts = await partitionsOf(admin, t);
      // today .. the day of as_of (day 40) + premake 2 is 43 daily partitions, each once
      expect(new Set(parts.map((p) => p.bound)).size).toBe(parts.length);
      expect(parts.length).toBe(43);
    }
    const errors = await admin.query(`select count(*)::int as n from _tide.log where logged_at >= $1 and outcome = 'error'`, [since]);
    expect(errors.rows[0]?.n).toBe(0);
  });
});

describe("maintenance killed at random points converges", () => {
  it("loses no row, leaves no overlap, gap or orphan half-built table after 20 kills or more", async () => {
    const admin = await db.client();
    await admin.query(`create table app_killed (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
    await admin.query(`select tide.manage('app_killed', 'at', '1 day', premake => 2, start_at => '${day(0)}', default_partition => true)`);
    // rows that landed in the default, in days maintenance will create later: they must move, never vanish
    await admin.query(`insert into app_killed (at, note) select $1::timestamptz + (i || ' hours')::interval, 'early ' || i from generate_series(0, 24 * 60) i`, [day(4)]);
    const total = Number((await admin.query<{ n: string }>(`select count(*) as n from app_killed`)).rows[0]!.n);
    const checksum = (await admin.query<{ s: string }>(`select md5(string_agg(id::text || note, ',' order by id)) as s from app_killed`)).rows[0]!.s;

    let asOf = new Date(day(2));
    // the kills must land inside runs, not only before or after them: at least 20 kills, and more
    // (up to 60) until at least 5 have interrupted a run (its row left 'running')
    const interruptedRuns = async () =>
      (await admin.query<{ n: number }>(
        `select count(*)::int as n from _tide.runs where only_parent = 'app_killed'::regclass and outcome = 'running'`,
      )).rows[0]!.n;
    for (let trial = 0; trial < 60 && (trial < 20 || (await interruptedRuns()) < 5); trial++) {
      asOf = new Date(asOf.getTime() + 3 * 86_400_000);
      const victim = new pg.Client({ connectionString: db.url });
      await victim.connect();
      victim.on("error", () => undefined);
      const pid = (await victim.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      const running = victim.query(`call tide.run_maintenance('app_killed', $1)`, [asOf.toISOString()]).catch(() => undefined);
      await sleep(2 + Math.floor(Math.random() * 40));
      await admin.query("select pg_terminate_backend($1)", [pid]);
      await running;
      await victim.end().catch(() => undefined);
    }
    expect(await interruptedRuns()).toBeGreaterThanOrEqual(5);
    await admin.query(`call tide.run_maintenance('app_killed', $1)`, [asOf.toISOString()]);

    expect(Number((await admin.query<{ n: string }>(`select count(*) as n from app_killed`)).rows[0]!.n)).toBe(total);
    expect((await admin.query<{ s: string }>(`select md5(string_agg(id::text || note, ',' order by id)) as s from app_killed`)).rows[0]!.s).toBe(checksum);
    const inDefault = await admin.query<{ n: number }>(`select count(*)::int as n from app_killed_default`);
    expect(inDefault.rows[0]?.n).toBe(0);

    // contiguous daily partitions from today through as_of + premake, no gap, no overlap
    const r = await admin.query<{ lo: string; hi: string }>(
      `select b.lower_bound as lo, b.upper_bound as hi
         from pg_inherits i, _tide.partition_bounds(i.inhrelid::regclass) b
        where i.inhparent = 'app_killed'::regclass and not b.is_default
        order by b.lower_bound::timestamptz`,
    );
    const days = r.rows.map((x) => [new Date(x.lo).getTime(), new Date(x.hi).getTime()] as const);
    expect(days[0]![0]).toBe(TODAY);
    for (let i = 1; i < days.length; i++) expect(days[i]![0]).toBe(days[i - 1]![1]);
    expect(days[days.length - 1]![1]).toBeGreaterThanOrEqual(asOf.getTime() + 2 * 86_400_000);

    // no orphan: every table named like a partition of app_killed is attached
    const orphans = await admin.query(
      `select c.relname from pg_class c
        where c.relname like 'app\\_killed\\_%' and c.relkind = 'r' and not c.relispartition`,
    );
    expect(orphans.rows).toEqual([]);
  });
});
