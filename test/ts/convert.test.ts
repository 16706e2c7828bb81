// tide.convert and tide.split_legacy on real connections: an application keeps inserting during
// the whole conversion (none fails, none waits past the lock timeout), and a split whose backend
// is terminated again and again resumes without losing or duplicating a row.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";
import { convertTable, splitLegacy } from "../../installer/convert.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "convert" });
});
afterAll(async () => db?.drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LOCK_TIMEOUT_MS = 100;
const MARGIN_MS = 150;

async function fixture(c: pg.Client, table: string, rows: number): Promise<void> {
  await c.query(`create table ${table} (id bigserial, ts timestamptz not null default now(), actor text not null,
                   action text not null, payload jsonb, primary key (id, ts))`);
  await c.query(`create index on ${table} (actor, ts)`);
  await c.query(`insert into ${table} (ts, actor, action, payload)
                 select now() - (i * interval '90 seconds'), 'user:' || (i % 97), 'read', jsonb_build_object('i', i)
                   from generate_series(1, $1::int) i`, [rows]);
  await c.query(`analyze ${table}`);
}

async function checksum(c: pg.Client, table: string): Promise<string> {
  const r = await c.query<{ n: string; h: string }>(`select count(*) n, coalesce(sum(hashtext(t::text)), 0) h from ${table} t`);
  return `${r.rows[0]?.n}/${r.rows[0]?.h}`;
}

describe("tide.convert under a live application", () => {
  it("keeps every insert of a concurrent session succeeding, none waiting past the lock timeout", async () => {
    const admin = await db.client();
    const app = await db.client();
    await fixture(admin, "app_log", 150_000);
    const before = await checksum(admin, "app_log");
    let running = true;
    const stats = { count: 0, max: 0, errors: [] as string[] };
    const loop = (async () => {
      while (running) {
        const t0 = performance.now();
        try {
          await app.query(`insert into app_log (actor, action) values ('app', 'write')`);
          stats.count++;
        } catch (e) {
          stats.errors.push((e as Error).message);
        }
        stats.max = Math.max(stats.max, performance.now() - t0);
        await sleep(5);
      }
    })();
    await sleep(100);
    const res = await convertTable(admin, { source: "app_log", control: "ts", every: "1 month", premake: 3 });
    await sleep(100);
    running = false;
    await loop;
    expect(stats.errors).toEqual([]);
    expect(stats.count).toBeGreaterThan(20);
    expect(stats.max).toBeLessThan(LOCK_TIMEOUT_MS + MARGIN_MS);
    expect(res.lines.some((l) => l.includes("is partitioned"))).toBe(true);
    const kind = await admin.query(`select relkind from pg_class where oid = 'app_log'::regclass`);
    expect(kind.rows[0]?.relkind).toBe("p");
    // every original row is there, plus the application's
    const old = await admin.query<{ n: string }>(`select count(*) n from app_log where actor <> 'app'`);
    expect(Number(old.rows[0]?.n)).toBe(150_000);
    const added = await admin.query<{ n: string }>(`select count(*) n from app_log where actor = 'app'`);
    expect(Number(added.rows[0]?.n)).toBe(stats.count);
    expect(before.startsWith("150000/")).toBe(true);
  }, 60_000);

  it("refuses with the SQLSTATE and changes nothing when the table cannot be converted", async () => {
    const c = await db.client();
    await c.query(`create table nullable_log (id bigint, ts timestamptz)`);
    await expect(convertTable(c, { source: "nullable_log", control: "ts", every: "1 month" })).rejects.toMatchObject({ code: "55000" });
    const kind = await c.query(`select relkind from pg_class where oid = 'nullable_log'::regclass`);
    expect(kind.rows[0]?.relkind).toBe("r");
  });

  it("prints the plan on a dry run and changes nothing", async () => {
    const c = await db.client();
    await fixture(c, "dry_log", 1000);
    const res = await convertTable(c, { source: "dry_log", control: "ts", every: "1 week", dryRun: true });
    expect(res.lines.filter((l) => l.startsWith("plan:")).length).toBe(4);
    const kind = await c.query(`select relkind from pg_class where oid = 'dry_log'::regclass`);
    expect(kind.rows[0]?.relkind).toBe("r");
  });
});

/** Rows through the parent plus rows in a slice table being filled (not yet attached, so not visible). */
async function checksumWithSlices(c: pg.Client, table: string): Promise<string> {
  const loose = await c.query<{ t: string }>(
    `select format('%I.%I', n.nspname, c.relname) t from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname like $1 and c.relkind = 'r' and not c.relispartition`, [`${table}\\_%`]);
  const parts = [table, ...loose.rows.map((r) => r.t)].map((t) => `select * from ${t}`).join(" union all ");
  const r = await c.query<{ n: string; h: string }>(`select count(*) n, coalesce(sum(hashtext(t::text)), 0) h from (${parts}) t`);
  return `${r.rows[0]?.n}/${r.rows[0]?.h}`;
}

describe("tide.split_legacy", () => {
  it("loses and duplicates nothing when its backend is terminated mid-way, then resumes", async () => {
    const admin = await db.client();
    await fixture(admin, "split_log", 60_000); // ~62 days: three monthly intervals or so
    await convertTable(admin, { source: "split_log", control: "ts", every: "1 week", premake: 2 });
    const before = await checksum(admin, "split_log");
    let kills = 0;
    for (let trial = 0; trial < 8; trial++) {
      const worker = new pg.Client({ connectionString: db.url });
      await worker.connect();
      worker.on("error", () => undefined);
      const pid = (await worker.query<{ pid: number }>(`select pg_backend_pid() pid`)).rows[0]?.pid;
      const call = worker.query(`call tide.split_legacy('split_log', 700)`).then(
        () => "finished",
        (e: Error) => e.message,
      );
      await sleep(30 + Math.random() * 150);
      const k = await admin.query<{ t: boolean }>(`select pg_terminate_backend($1) t`, [pid]);
      if (k.rows[0]?.t) kills++;
      const outcome = await call;
      await worker.end().catch(() => undefined);
      expect(await checksumWithSlices(admin, "split_log")).toBe(before);
      if (outcome === "finished") break;
    }
    expect(kills).toBeGreaterThan(0);
    const steps: string[] = [];
    await splitLegacy(admin, { parent: "split_log", batchRows: 5000, onProgress: (p) => steps.push(p.action) }).catch(async (e: Error) => {
      // already finished by an uninterrupted trial
      expect(e.message).toMatch(/no legacy partition to split/);
    });
    expect(await checksum(admin, "split_log")).toBe(before);
    const legacy = await admin.query(`select state from _tide.legacy where parent = 'split_log'::regclass`);
    expect(legacy.rows[0]?.state).toBe("split");
    // no leftover standalone slice tables, and every partition is attached
    const loose = await admin.query(`select relname from pg_class where relname like 'split_log_%' and relkind = 'r' and not relispartition`);
    expect(loose.rows).toEqual([]);
  }, 120_000);
});
