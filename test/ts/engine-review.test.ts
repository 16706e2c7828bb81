// Engine review: defects found by reading the engine against DESIGN.md's rules, each reproduced on
// real connections. Rule 2 across statements: a lock held from an earlier statement of the same
// maintenance transaction must not turn a later lock wait (and its backoff) into an application stall.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertLoop, nextRunPrunes, sleep } from "./app.js";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "review" });
});
afterAll(async () => db?.drop());

const DAY = 86_400_000;
const TODAY = Math.floor(Date.now() / DAY) * DAY;
const day = (n: number, hours = 0) => new Date(TODAY + n * DAY + hours * 3_600_000).toISOString();
const dayName = (parent: string, n: number) => {
  const d = new Date(TODAY + n * DAY);
  const pad = (x: number) => String(x).padStart(2, "0");
  return `${parent}_${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}`;
};

async function names(c: pg.Client, parent: string): Promise<string[]> {
  const r = await c.query<{ n: string }>(`select inhrelid::regclass::text as n from pg_inherits where inhparent = $1::regclass order by 1`, [parent]);
  return r.rows.map((x) => x.n);
}

describe("engine review: Rule 2 across the statements of one maintenance transaction", () => {
  it("after dropping one partition (ACCESS EXCLUSIVE on the parent held), a busy second one is tried once, not retried with sleeps while inserts queue", async () => {
    const admin = await db.client();
    const reader = await db.client();
    const writer = await db.client();
    await admin.query(`create table rv_expire (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
    await admin.query(`select tide.manage('rv_expire', 'at', '1 day', premake => 2, keep => '2 days', start_at => '${day(-6)}', default_partition => false)`);
    await admin.query(`update tide.config set lock_timeout = '100 milliseconds', lock_retries = 5 where parent = 'rv_expire'::regclass`);
    const p6 = dayName("rv_expire", -6);
    const p5 = dayName("rv_expire", -5);
    expect(await names(admin, "rv_expire")).toContain(p6);

    // a reader of one old partition only: the first drop (day -6) gets its locks, the second (day -5) cannot
    await reader.query("begin");
    await reader.query(`select count(*) from ${p5}`);
    const inserts = insertLoop(writer, "rv_expire", day(0, 10), 10);
    await sleep(150);
    await admin.query(`call tide.run_maintenance('rv_expire', $1)`, [day(0, 12)]);
    const stats = await inserts.stop();
    await reader.query("commit");

    const after = await names(admin, "rv_expire");
    expect(after).not.toContain(p6); // the first drop was kept (committed)
    expect(after).toContain(p5); // the busy one was left for the next run
    expect(stats.errors).toEqual([]);
    expect(stats.count).toBeGreaterThan(5);
    // one lock_timeout (100 ms) plus a margin — not the whole retry chain (~6 waits and ~0.6 s of sleeps)
    expect(stats.max).toBeLessThan(300);

    await admin.query(`call tide.run_maintenance('rv_expire', $1)`, [day(0, 12)]);
    const final = await names(admin, "rv_expire");
    expect(final).not.toContain(p5);
    expect(final).not.toContain(dayName("rv_expire", -3));
    expect(final).toContain(dayName("rv_expire", -2));
  });

  it("run_maintenance leaves the session's lock_timeout as it was", async () => {
    const c = await db.client();
    await c.query(`create table rv_lt (at timestamptz not null, note text) partition by range (at)`);
    await c.query(`select tide.manage('rv_lt', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    await c.query(`set lock_timeout = '7s'`);
    await c.query(`call tide.run_maintenance('rv_lt', $1)`, [day(3)]);
    expect((await c.query<{ lock_timeout: string }>(`show lock_timeout`)).rows[0]!.lock_timeout).toBe("7s");
    await c.query(`call tide.run_maintenance(null, $1)`, [day(4)]);
    expect((await c.query<{ lock_timeout: string }>(`show lock_timeout`)).rows[0]!.lock_timeout).toBe("7s");
  });
});

describe("engine review: Rule 8, the installer's lock", () => {
  it("run_maintenance skips at once while an install holds its lock and a _tide table, instead of queueing behind it", async () => {
    const installer = await db.client();
    const cron = await db.client();
    await installer.query(`create table rv_inst (at timestamptz not null) partition by range (at)`);
    await installer.query(`select tide.manage('rv_inst', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    // what an upgrade looks like from outside: the install lock (session) and a migration's ACCESS EXCLUSIVE lock
    await installer.query(`select pg_advisory_lock(_tide.lock_key('install'))`);
    await installer.query(`begin`);
    await installer.query(`lock table _tide.runs, _tide.managed_tables in access exclusive mode`);
    try {
      await cron.query(`set statement_timeout = '3s'`);
      const t0 = performance.now();
      await cron.query(`call tide.run_maintenance('rv_inst', $1)`, [day(5)]);
      await cron.query(`call tide.run_maintenance(null, $1)`, [day(5)]);
      expect(performance.now() - t0).toBeLessThan(1000);
    } finally {
      await installer.query(`rollback`);
      await installer.query(`select pg_advisory_unlock(_tide.lock_key('install'))`);
    }
    // with the lock free and nothing locked, the skip is recorded and the next run works
    await installer.query(`select pg_advisory_lock(_tide.lock_key('install'))`);
    await cron.query(`call tide.run_maintenance('rv_inst', $1)`, [day(5)]);
    await installer.query(`select pg_advisory_unlock(_tide.lock_key('install'))`);
    const skipped = await cron.query<{ n: number }>(`select count(*)::int as n from _tide.runs where only_parent = 'rv_inst'::regclass and outcome = 'skipped'`);
    expect(skipped.rows[0]!.n).toBe(1);
    await cron.query(`call tide.run_maintenance('rv_inst', $1)`, [day(5)]);
    const made = await cron.query<{ n: number }>(`select count(*)::int as n from pg_inherits where inhparent = 'rv_inst'::regclass`);
    expect(made.rows[0]!.n).toBeGreaterThan(3);
  });
});

describe("engine review: log pruning cost", () => {
  it("prunes old log rows and runs without reading the whole log when nothing is old", async () => {
    // its own database: log ids grow with time, so the history goes in before anything is logged
    const own = await freshDatabase({ prefix: "review_log" });
    const c = await own.client();
    // a month of history from 500 tables every 10 minutes is millions of rows; 200k shows the shape
    await c.query(`insert into _tide.log (parent_oid, parent, action, outcome, logged_at)
                   select 1, 'old', 'maintain', 'ok', now() - interval '40 days' + g * interval '1 second' from generate_series(1, 1000) g`);
    await c.query(`insert into _tide.log (parent_oid, parent, action, outcome, logged_at)
                   select 1, 'recent', 'maintain', 'ok', now() - interval '20 days' + g * interval '1 second' from generate_series(1, 200000) g`);
    await c.query(`vacuum analyze _tide.log`);
    await c.query(`create table rv_log (at timestamptz not null) partition by range (at)`);
    await c.query(`select tide.manage('rv_log', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    // a run with work whose id is not a multiple of 10 leaves the log as it is
    await nextRunPrunes(c);
    await c.query(`select nextval(pg_get_serial_sequence('_tide.runs', 'run_id'))`);
    await c.query(`call tide.run_maintenance('rv_log')`);
    const kept = await c.query<{ n: number }>(`select count(*)::int as n from _tide.log where parent = 'old'`);
    expect(kept.rows[0]!.n).toBe(1000);
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_log')`);
    const left = await c.query<{ parent: string; n: number }>(`select parent, count(*)::int as n from _tide.log where parent in ('old', 'recent') group by 1 order by 1`);
    expect(left.rows).toEqual([{ parent: "recent", n: 200000 }]);

    const seqRead = async () => {
      await c.query(`select pg_stat_force_next_flush()`);
      await c.query(`select 1`);
      await c.query(`select pg_stat_clear_snapshot()`);
      const r = await c.query<{ n: string }>(`select coalesce(seq_tup_read, 0) as n from pg_stat_user_tables where relid = '_tide.log'::regclass`);
      return Number(r.rows[0]!.n);
    };
    const before = await seqRead();
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_log')`);
    const afterIdle = await seqRead();
    // a pruning run with work reads no more of the log
    await c.query(`update tide.config set premake = 2 where parent = 'rv_log'::regclass`);
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_log')`);
    const afterDue = await seqRead();
    const due = await c.query<{ n: number }>(`select count(*)::int as n from _tide.log where action = 'create' and parent_oid = 'rv_log'::regclass`);
    await own.drop();
    expect(afterIdle - before).toBeLessThan(1000);
    expect(due.rows[0]!.n).toBeGreaterThan(0);
    expect(afterDue - afterIdle).toBeLessThan(1000);
  });

  it("an old log row another session holds locked is left for a later run: pruning waits 100 ms at most, says so in a notice, and the run finishes", async () => {
    const own = await freshDatabase({ prefix: "review_prune_lock" });
    const c = await own.client();
    const holder = await own.client();
    const notices: { severity?: string; message?: string }[] = [];
    c.on("notice", (n: { severity?: string; message?: string }) => notices.push(n));
    await c.query(`insert into _tide.log (parent_oid, parent, action, outcome, logged_at) values (1, 'old', 'maintain', 'ok', now() - interval '40 days')`);
    await holder.query(`begin; select * from _tide.log where parent = 'old' for update`);
    await c.query(`create table rv_plock (at timestamptz not null) partition by range (at)`);
    await c.query(`select tide.manage('rv_plock', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    await c.query(`update tide.config set premake = 2 where parent = 'rv_plock'::regclass`);
    // the holder lets go only after the call returns: a pruning that waited for it would never return
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_plock')`);
    await holder.query("rollback");
    const run = await c.query(`select outcome, finished_at is not null as finished from _tide.runs order by run_id desc limit 1`);
    const old = await c.query(`select count(*)::int as n from _tide.log where parent = 'old'`);
    await own.drop();
    expect(run.rows[0]).toEqual({ outcome: "ok", finished: true });
    expect(old.rows[0].n).toBe(1);
    expect(notices.some((n) => n.severity === "NOTICE" && /maintenance log not pruned this run \(another run is pruning it\)/.test(n.message ?? ""))).toBe(true);
    expect(notices.some((n) => n.severity === "WARNING")).toBe(false);
  });

  it("a malformed retention setting makes pruning warn, not the run fail: the partitions are made and the run row finished", async () => {
    const own = await freshDatabase({ prefix: "review_prune" });
    const c = await own.client();
    const warnings: string[] = [];
    c.on("notice", (n: { severity?: string; message?: string }) => { if (n.severity === "WARNING") warnings.push(n.message ?? ""); });
    // writes to _tide.settings are validated now; a value from before that (or written with the
    // trigger disabled) must still not fail a run
    await c.query(`alter table _tide.settings disable trigger settings_check`);
    await c.query(`insert into _tide.settings (name, value) values ('log_retention', '30 dayz')
                   on conflict (name) do update set value = excluded.value`);
    await c.query(`alter table _tide.settings enable trigger settings_check`);
    await c.query(`create table rv_prune (at timestamptz not null) partition by range (at)`);
    await c.query(`select tide.manage('rv_prune', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    await c.query(`update tide.config set premake = 3 where parent = 'rv_prune'::regclass`);
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_prune')`);
    const run = await c.query(`select outcome, finished_at is not null as finished, tables_ok from _tide.runs order by run_id desc limit 1`);
    const made = (await names(c, "rv_prune")).length;
    await own.drop();
    expect(run.rows[0]).toEqual({ outcome: "ok", finished: true, tables_ok: 1 });
    expect(made).toBe(5); // default, today and three ahead
    expect(warnings.some((w) => /maintenance log not pruned this run/.test(w))).toBe(true);
  });
});

describe("engine: plans", () => {
  it("every query of a maintenance run is planned generically (no custom plan for each of its first five runs in a session), and the session keeps its own setting", async () => {
    const own = await freshDatabase({ prefix: "review_plans" });
    const c = await own.client();
    await c.query(`create table rv_plans (at timestamptz not null) partition by range (at)`);
    await c.query(`select tide.manage('rv_plans', 'at', '1 day', premake => 1, start_at => '${day(0)}')`);
    await c.query(`call tide.run_maintenance('rv_plans')`);  // a run row for the pruning below
    // what the plan cache is told while maintenance writes its run row, its log rows and prunes
    await c.query(`create table public.seen (tbl text, op text, mode text)`);
    await c.query(`create function public.note_mode() returns trigger language plpgsql as $$
                   begin insert into public.seen values (tg_table_name, tg_op, current_setting('plan_cache_mode')); return null; end $$`);
    for (const t of ["runs", "log"]) {
      await c.query(`create trigger note_mode after insert or update or delete on _tide.${t} for each row execute function public.note_mode()`);
    }
    await c.query(`insert into _tide.settings (name, value) values ('log_retention', '1 microsecond')
                   on conflict (name) do update set value = excluded.value`);
    await c.query(`update tide.config set premake = 2 where parent = 'rv_plans'::regclass`);
    await nextRunPrunes(c);
    await c.query(`call tide.run_maintenance('rv_plans')`);
    const seen = await c.query<{ tbl: string; op: string; mode: string }>(`select distinct tbl, op, mode from public.seen order by 1, 2, 3`);
    const session = await c.query<{ m: string }>(`select current_setting('plan_cache_mode') as m`);
    await own.drop();
    // the run row (insert, update), the table's log rows, and the pruning of both
    expect(seen.rows).toEqual([
      { tbl: "log", op: "DELETE", mode: "force_generic_plan" },
      { tbl: "log", op: "INSERT", mode: "force_generic_plan" },
      { tbl: "runs", op: "DELETE", mode: "force_generic_plan" },
      { tbl: "runs", op: "INSERT", mode: "force_generic_plan" },
      { tbl: "runs", op: "UPDATE", mode: "force_generic_plan" },
    ]);
    expect(session.rows[0]?.m).toBe("auto");
  });

  it("a run that returns at once (an install holds its lock) leaves the caller's transaction with its own settings", async () => {
    const own = await freshDatabase({ prefix: "review_leak" });
    const installer = await own.client();
    const caller = await own.client();
    await installer.query(`select pg_advisory_lock(_tide.lock_key('install'))`);
    await caller.query("begin");
    await caller.query("set local lock_timeout = '2s'");
    await caller.query(`call tide.run_maintenance()`);
    const inside = await caller.query(`select current_setting('plan_cache_mode') as pcm, current_setting('lock_timeout') as lt`);
    await caller.query("commit");
    await installer.query(`select pg_advisory_unlock(_tide.lock_key('install'))`);
    const skipped = await caller.query(`select count(*)::int as n from _tide.runs where outcome = 'skipped'`);
    await own.drop();
    expect(inside.rows[0]).toEqual({ pcm: "auto", lt: "2s" });
    expect(skipped.rows[0]?.n).toBe(1);
  });
});
