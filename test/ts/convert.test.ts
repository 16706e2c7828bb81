// tide.convert and tide.split_legacy on real connections: an application keeps inserting during
// the whole conversion (none fails, none waits past the lock timeout), and a split whose backend
// is terminated again and again resumes without losing or duplicating a row.
import { readFileSync } from "node:fs";
import { join } from "node:path";
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

/** 1,000 hourly rows from 2026-10-01, converted: the legacy partition spans [2026-09-28, 2026-12-07) on a weekly grid. */
async function convertedWeekly(c: pg.Client, table: string): Promise<void> {
  await c.query(`create table ${table} (id bigint generated always as identity, ts timestamptz not null, note text, primary key (id, ts))`);
  await c.query(`insert into ${table} (ts, note) select '2026-10-01'::timestamptz + g * interval '1 hour', 'n' || g from generate_series(1, 1000) g`);
  await c.query(`call tide.convert('${table}', 'ts', '1 week', premake => 2)`);
}

/** A split under way: its first batch made the slice table and moved rows into it. */
async function splitStarted(c: pg.Client, table: string): Promise<void> {
  await convertedWeekly(c, table);
  await c.query(`select * from _tide.convert_split_step('${table}', 50, '2026-10-10')`);
}

/** A managed table with a row and an unconvert under way (the copy path's first step, as tide.unconvert takes it). */
async function unconvertStarted(c: pg.Client, table: string): Promise<void> {
  await c.query(`create table ${table} (id bigint, ts timestamptz not null, v text, primary key (id, ts)) partition by range (ts)`);
  await c.query(`select count(*) from tide.manage('${table}', 'ts', '1 month', premake => 1)`);
  await c.query(`insert into ${table} values (1, now(), 'a')`);
  await c.query(`select _tide.unconvert_start('${table}')`);
}

describe("retention of a legacy partition", () => {
  // maintenance as of 2027-02-01 with keep 2 weeks finds all of the legacy partition expired
  async function converted(c: pg.Client, table: string, onExpire: string): Promise<void> {
    await convertedWeekly(c, table);
    await c.query(`update tide.config set keep = '2 weeks', on_expire = $2 where parent = $1::regclass`, [table, onExpire]);
  }

  it("retires one never split, and split_legacy then says retention took it", async () => {
    const c = await db.client();
    await converted(c, "aged_log", "drop");
    await c.query(`call tide.run_maintenance('aged_log', as_of => '2027-02-01')`);
    const lg = await c.query(`select legacy, state, retired_at is not null as dated from _tide.legacy where parent = 'aged_log'::regclass`);
    expect(lg.rows).toEqual([{ legacy: null, state: "retired", dated: true }]);
    expect((await c.query(`select to_regclass('aged_log_legacy') as t`)).rows[0]?.t).toBeNull();
    const err = await c.query(`call tide.split_legacy('aged_log')`).then(() => null, (e: pg.DatabaseError) => e);
    expect(err).toMatchObject({ code: "55000", message: "table public.aged_log has no legacy partition to split" });
    expect(err?.detail).toMatch(/^Retention dropped its legacy partition aged_log_legacy at .*older than keep/);
    // nothing waits for a split that cannot finish: unconvert goes ahead
    await c.query(`call tide.unconvert('aged_log')`);
    expect((await c.query(`select relkind from pg_class where oid = 'aged_log'::regclass`)).rows[0]?.relkind).toBe("r");
  });

  it("leaves the legacy partition to a later run while a split step works on it, and retires the rest", async () => {
    const c = await db.client();
    const split = await db.client();
    await converted(c, "busy_log", "detach");
    // a split step's transaction, left open: it holds the legacy row and the legacy partition (the
    // second batch: the first, which creates the slice table, also takes the parent for a moment)
    await c.query(`select * from _tide.convert_split_step('busy_log', 50, '2026-10-10')`);
    await split.query("begin");
    await split.query(`select * from _tide.convert_split_step('busy_log', 20, '2026-10-10')`);
    await c.query(`call tide.run_maintenance('busy_log', as_of => '2027-02-01')`);
    const run1 = await c.query(`select action, partition, outcome from _tide.log where parent_oid = 'busy_log'::regclass
                                   and run_id = (select max(run_id) from _tide.runs) and action in ('detach', 'maintain') order by log_id`);
    // the legacy partition skipped at once (NOWAIT); the two expired weeks convert had created
    // detached; the expired weeks between them and the legacy partition not created only to go; the run ok
    expect(run1.rows).toEqual([
      { action: "detach", partition: "public.busy_log_legacy", outcome: "skipped" },
      { action: "detach", partition: "public.busy_log_2026_w50_detached", outcome: "ok" },
      { action: "detach", partition: "public.busy_log_2026_w51_detached", outcome: "ok" },
      { action: "maintain", partition: null, outcome: "ok" },
    ]);
    expect((await c.query(`select state, legacy::text from _tide.legacy where parent = 'busy_log'::regclass`)).rows[0])
      .toEqual({ state: "splitting", legacy: "busy_log_legacy" });
    // health, hours later: the overdue retention points at the split, and the slice being filled is no leftover
    const health = await c.query(`select "check", hint from _tide.obs_health('2027-02-01 03:00') where parent = 'public.busy_log'`);
    expect(health.rows.map((r) => r.check)).not.toContain("leftover_table");
    expect(health.rows.find((r) => r.check === "retention_overdue")?.hint).toMatch(/tide.split_legacy is splitting the legacy partition/);
    await split.query("commit");
    // nothing attached or detached since: the next run works from the listing it kept, which still has the legacy partition
    await c.query(`call tide.run_maintenance('busy_log', as_of => '2027-02-01')`);
    expect((await c.query(`select state from _tide.legacy where parent = 'busy_log'::regclass`)).rows[0]?.state).toBe("retired");
    const all = await c.query(`select (select count(*) from busy_log) + (select count(*) from busy_log_legacy_detached)
                                      + (select count(*) from busy_log_2026_w40_detached) as n`);
    expect(Number(all.rows[0]?.n)).toBe(1000);
  });

  it("meets a split step that moves a boundary without a deadlock: it leaves the legacy partition and keeps what it created", async () => {
    const c = await db.client();
    const reader = await db.client();
    const split = await db.client();
    await converted(c, "dead_log", "detach");
    await c.query(`update tide.config set lock_timeout = '3s', lock_retries = 1 where parent = 'dead_log'::regclass`);
    // the oldest week moved, emptied and proven empty: the next step moves the legacy's boundary,
    // under ACCESS EXCLUSIVE on the parent, which it takes holding the legacy row
    for (let i = 0; i < 3; i++) await c.query(`select * from _tide.convert_split_step('dead_log', 100, '2026-10-10')`);
    const before = Number((await c.query(`select count(*) n from pg_inherits where inhparent = 'dead_log'::regclass`)).rows[0]?.n);
    // a reader of the default partition keeps maintenance in its creations, holding the parent,
    // while the step takes the row and queues for the parent
    await reader.query("begin");
    await reader.query("lock table dead_log_default in access share mode");
    const run = c.query(`call tide.run_maintenance('dead_log', as_of => '2027-02-01')`);
    await sleep(300);
    const step = split.query(`select action from _tide.convert_split_step('dead_log', 100, '2026-10-10')`);
    await sleep(700);
    await reader.query("commit");
    await run;
    const moved = await step;
    expect(moved.rows[0]?.action).toMatch(/^legacy partition now starts at 2026-10-05/);
    const log = await c.query(`select action, partition, outcome, sqlstate from _tide.log where parent_oid = 'dead_log'::regclass and action in ('maintain', 'detach') and run_id = (select max(run_id) from _tide.runs) order by log_id`);
    // the legacy partition left at once (no deadlock, no wait), the rest of the run done
    expect(log.rows[0]).toEqual({ action: "detach", partition: "public.dead_log_legacy", outcome: "skipped", sqlstate: null });
    expect(log.rows.map((r) => r.sqlstate)).not.toContain("40P01");
    expect(log.rows.at(-1)).toMatchObject({ action: "maintain", outcome: "ok" });
    const after = Number((await c.query(`select count(*) n from pg_inherits where inhparent = 'dead_log'::regclass`)).rows[0]?.n);
    expect(after).toBeGreaterThan(before + 1); // created ahead (and the attached slice): kept
  });

  it("retires the slice with the legacy partition after the parent was renamed", async () => {
    const c = await db.client();
    await converted(c, "old_name", "detach");
    await c.query(`select * from _tide.convert_split_step('old_name', 50, '2026-10-10')`);
    await c.query(`alter table old_name rename to new_name`);
    await c.query(`call tide.run_maintenance('new_name', as_of => '2027-02-01')`);
    const detached = await c.query(`select partition::text as p from _tide.detached where parent_oid = 'new_name'::regclass and lower_bound = '2026-09-28 00:00:00+00' order by 1`);
    expect(detached.rows).toEqual([{ p: "old_name_2026_w40_detached" }, { p: "old_name_legacy_detached" }]);
    expect(Number((await c.query(`select count(*) n from old_name_2026_w40_detached`)).rows[0]?.n)).toBe(50);
  });

  it("migration 011 repairs what an earlier version left, and a split it records survives a rename", async () => {
    const c = await db.client();
    const repair = /do \$repair\$[\s\S]*?\$repair\$;/.exec(readFileSync(join(import.meta.dirname, "../../migrations/011_legacy_retired.sql"), "utf8"))?.[0];
    expect(repair).toBeDefined();
    // as an earlier version left them: r1 mid-split, its legacy detached by retention; r2 never
    // split, its legacy dropped by retention; r3 mid-split, legacy attached, slice not recorded; r4
    // between two intervals of its split (no slice), beside a DBA's copy of the table
    for (const t of ["r1", "r2", "r3", "r4"]) await converted(c, t, "detach");
    for (const t of ["r1", "r3"]) await c.query(`select * from _tide.convert_split_step($1, 50, '2026-10-10')`, [t]);
    for (let i = 0; i < 4; i++) await c.query(`select * from _tide.convert_split_step('r4', 1000, '2026-10-10')`);
    await c.query(`create table r4_backup as select * from r4`);
    await c.query(`update _tide.legacy set slice = null where parent::text in ('r1', 'r3', 'r4')`);
    await c.query(`alter table r1 detach partition r1_legacy`);
    await c.query(`alter table r1_legacy rename to r1_legacy_detached`);
    await c.query(`insert into _tide.detached (partition, parent_oid, parent, lower_bound, upper_bound, reason)
                   values ('r1_legacy_detached', 'r1'::regclass, 'r1', '2026-09-28 00:00:00+00', '2026-12-07 00:00:00+00', 'retention')`);
    await c.query(`drop table r2_legacy`);
    const warnings: string[] = [];
    const onNotice = (m: { severity?: string; message?: string; detail?: string }) => {
      if (m.severity === "WARNING") warnings.push(`${m.message} / ${m.detail}`);
    };
    c.on("notice", onNotice);
    await c.query(repair as string);
    c.off("notice", onNotice);
    const rows = await c.query(`select parent::text, state, legacy::text, slice::text from _tide.legacy where parent::text in ('r1', 'r2', 'r3', 'r4') order by 1`);
    expect(rows.rows).toEqual([
      { parent: "r1", state: "retired", legacy: "r1_legacy_detached", slice: null },
      { parent: "r2", state: "retired", legacy: null, slice: null },
      { parent: "r3", state: "splitting", legacy: "r3_legacy", slice: "r3_2026_w40" },
      { parent: "r4", state: "splitting", legacy: "r4_legacy", slice: null }, // the copy is not taken for a slice
    ]);
    const ours = warnings.filter((w) => / of r[1-4] /.test(w));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/legacy partition of r1 .*tables that may be it: .*\br1_2026_w40\b/);
    // r3's split goes on after a rename of the table: the slice it had filled is found by its oid
    await c.query(`alter table r3 rename to r3_renamed`);
    await c.query(`call tide.split_legacy('r3_renamed', 200)`);
    expect(Number((await c.query(`select count(*) n from r3_renamed`)).rows[0]?.n)).toBe(1000);
    const loose = await c.query(`select relname from pg_class where relname like 'r3%' and relkind = 'r' and not relispartition`);
    expect(loose.rows).toEqual([]);
    expect((await c.query(`select state, slice from _tide.legacy where parent = 'r3_renamed'::regclass`)).rows[0]).toEqual({ state: "split", slice: null });
  });

  for (const onExpire of ["drop", "detach", "archive"]) {
    it(`retires one mid-split (${onExpire}) with the slice being filled: every row is in the table, detached, or expired on purpose`, async () => {
      const c = await db.client();
      const t = `mid_${onExpire}`;
      await converted(c, t, onExpire);
      // two batches move the oldest week (95 rows, not expired as of the split) into its slice, which
      // is not attached yet
      for (let i = 0; i < 2; i++) await c.query(`select * from _tide.convert_split_step($1, 50, '2026-10-10')`, [t]);
      expect((await c.query(`select count(*)::int n from ${t}_2026_w40`)).rows[0]?.n).toBe(95); // all of that week but its CHECK
      await c.query(`call tide.run_maintenance('${t}', as_of => '2027-02-01')`);
      const lg = await c.query(`select legacy::text, state from _tide.legacy where parent = $1::regclass`, [t]);
      expect(lg.rows[0]?.state).toBe("retired");
      const loose = await c.query(`select relname from pg_class where relname like $1 and relkind = 'r' and not relispartition order by 1`, [`${t}\\_%`]);
      const outcome = await c.query(`select action, outcome from _tide.log where parent_oid = $1::regclass and partition like '%w40%'`, [t]);
      if (onExpire === "drop") {
        expect(lg.rows[0]?.legacy).toBeNull();
        expect(loose.rows).toEqual([]); // the slice went with the legacy partition
        expect(outcome.rows).toEqual([{ action: "drop", outcome: "ok" }]);
      } else {
        expect(lg.rows[0]?.legacy).toBe(`${t}_legacy_detached`);
        const detached = await c.query(`select partition::text as p, lower_bound, upper_bound from _tide.detached where parent_oid = $1::regclass and partition::text like '%w40%'`, [t]);
        expect(detached.rows).toEqual([{ p: `${t}_2026_w40_detached`, lower_bound: "2026-09-28 00:00:00+00", upper_bound: "2026-10-05 00:00:00+00" }]);
        // the 1,000 rows: none attached any more (all expired), each in exactly one detached table
        const all = await c.query(`select (select count(*) from ${t}) + (select count(*) from ${t}_legacy_detached)
                                          + (select count(*) from ${t}_2026_w40_detached) as n`);
        expect(Number(all.rows[0]?.n)).toBe(1000);
        if (onExpire === "archive") {
          const queued = await c.query(`select partition_table from _tide.archives where parent_oid = $1::regclass and state = 'pending' order by 1`, [t]);
          expect(queued.rows.map((r) => r.partition_table)).toContain(`${t}_2026_w40_detached`);
          expect(queued.rows.map((r) => r.partition_table)).toContain(`${t}_legacy_detached`);
        }
      }
      await expect(c.query(`call tide.split_legacy('${t}')`)).rejects.toMatchObject({ code: "55000" });
    });
  }
});

describe("a converted table dropped without tide.unmanage", () => {
  it("says so (42P01) when split, and tide.unmanage then forgets its conversion state with its settings; a split's slice stays, named", async () => {
    const c = await db.client();
    await splitStarted(c, "gone_log");
    const oid = Number((await c.query(`select 'gone_log'::regclass::oid as o`)).rows[0].o);
    const slice = (await c.query(`select slice::text as s from _tide.legacy where parent::oid = $1`, [oid])).rows[0].s as string;
    expect(slice).toBeTruthy();
    const legacy = async () => (await c.query(`select count(*)::int as n from _tide.legacy where parent::oid = $1`, [oid])).rows[0].n;
    expect(await legacy()).toBe(1);
    await c.query(`drop table gone_log`);
    const err = await c.query(`call tide.split_legacy(${oid})`).then(() => null, (e: { code?: string; hint?: string }) => e);
    expect(err?.code).toBe("42P01");
    expect(err?.hint).toBe(`Call tide.unmanage(${oid}) to forget them.`);
    const notices: string[] = [];
    c.on("notice", (m) => notices.push(m.message ?? ""));
    await c.query(`select tide.unmanage(${oid})`);
    expect(await legacy()).toBe(0);
    expect(notices.join("\n")).toContain(`.${slice} of a split under way stays`);
    expect((await c.query(`select count(*)::int as n from ${slice}`)).rows[0].n).toBeGreaterThan(0);
    expect((await c.query(`select count(*)::int as n from _tide.managed_tables where parent::oid = $1`, [oid])).rows[0].n).toBe(0);
  });

  it("an unconvert's state goes too, its copy stays (named in a NOTICE)", async () => {
    const c = await db.client();
    await unconvertStarted(c, "gone_uc");
    await c.query(`insert into gone_uc values (2, now(), 'b')`);  // recorded by the capture trigger
    const oid = Number((await c.query(`select 'gone_uc'::regclass::oid as o`)).rows[0].o);
    const state = async () => (await c.query(`select (select count(*) from _tide.unconverts where parent::oid = $1)::int
                                                   + (select count(*) from _tide.unconvert_changes where parent::oid = $1)::int as n`, [oid])).rows[0].n;
    expect(await state()).toBeGreaterThanOrEqual(2);
    await c.query(`drop table gone_uc`);
    const notices: string[] = [];
    c.on("notice", (m) => notices.push(m.message ?? ""));
    await c.query(`select tide.unmanage(${oid})`);
    expect(await state()).toBe(0);
    expect(notices.some((m) => m.includes("gone_uc_unconverted") && m.includes("stays"))).toBe(true);
    expect((await c.query(`select to_regclass('gone_uc_unconverted') is not null as kept`)).rows[0].kept).toBe(true);
  });
});

describe("tide.unmanage while a conversion of a table still there is under way", () => {
  it("refuses (55000, changing nothing) during a split, whose slice holds rows outside the table, and during an unconvert", async () => {
    const c = await db.client();
    await splitStarted(c, "mid_log");
    const managed = async (t: string) => (await c.query(`select count(*)::int as n from _tide.managed_tables where parent = $1::regclass`, [t])).rows[0].n;
    const split = await c.query(`select tide.unmanage('mid_log')`).then(() => null, (e: { code?: string; message: string; hint?: string }) => e);
    expect(split?.code).toBe("55000");
    expect(split?.message).toBe("tide.split_legacy of table public.mid_log is in progress");
    expect(split?.hint).toBe("Finish the split first: CALL tide.split_legacy('public.mid_log'); then call tide.unmanage again.");
    expect(await managed("mid_log")).toBe(1);
    await c.query(`call tide.split_legacy('mid_log')`);
    await c.query(`select tide.unmanage('mid_log')`);  // the split done, it goes
    expect(await managed("mid_log")).toBe(0);

    await unconvertStarted(c, "mid_uc");
    const uc = await c.query(`select tide.unmanage('mid_uc')`).then(() => null, (e: { code?: string; message: string }) => e);
    expect(uc?.code).toBe("55000");
    expect(uc?.message).toBe("tide.unconvert of table public.mid_uc is in progress");
    expect(await managed("mid_uc")).toBe(1);
    expect((await c.query(`select count(*)::int as n from _tide.unconverts where parent = 'mid_uc'::regclass`)).rows[0].n).toBe(1);
  });
});
