// tide.convert when the swap fails after the CHECKs were added and validated: the plain table
// must not keep tide_legacy_lower/upper, whose upper bound would refuse every row written once
// the clock passes it. They are dropped again in a short transaction of their own; when even that
// cannot lock the table, the error says so and gives the exact ALTER TABLE to run.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "convert_swap_failure" });
});
afterAll(async () => db?.drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fixture(c: pg.Client, table: string, extra = ""): Promise<void> {
  await c.query(`create table ${table} (id bigint generated always as identity, ts timestamptz not null, v int ${extra},
                   primary key (id, ts))`);
  await c.query(`insert into ${table} (ts, v) select now() - i * interval '1 hour', i from generate_series(1, 500) i`);
}

async function checks(c: pg.Client, table: string): Promise<string[]> {
  const r = await c.query<{ conname: string }>(
    `select conname from pg_constraint where conrelid = $1::regclass and conname like 'tide\\_legacy\\_%' order by 1`, [table]);
  return r.rows.map((x) => x.conname);
}

async function relkind(c: pg.Client, table: string): Promise<string | undefined> {
  return (await c.query<{ k: string }>(`select relkind::text k from pg_class where oid = $1::regclass`, [table])).rows[0]?.k;
}

/** A row two years ahead: past any upper bound tide.convert chooses today. */
const futureInsert = (table: string) => `insert into ${table} (ts, v) values (now() + interval '2 years', 1)`;

async function waitFor(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = performance.now() + ms;
  while (!(await probe())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface Started {
  /** Holds ACCESS SHARE on the table, granted right after the CHECKs committed: the swap cannot lock it. */
  holder: pg.Client;
  conv: pg.Client;
  call: Promise<pg.DatabaseError | null>;
  notices: string[];
}

/**
 * CALL tide.convert with a session that takes ACCESS SHARE on the table the moment the CHECKs are
 * committed, before the swap: its lock request queues behind convert_add_checks' ACCESS EXCLUSIVE
 * (which waits on a first session's ACCESS SHARE), so it is granted when that commits.
 */
async function convertWithTableLockedAfterChecks(table: string, onNotice: (m: string, s: Started) => void, setup?: string): Promise<Started | null> {
  const watcher = await db.client();
  const first = await db.client();
  const holder = await db.client();
  const conv = await db.client();
  await first.query("begin");
  await first.query(`lock table ${table} in access share mode`);
  const convPid = (await conv.query<{ pid: number }>("select pg_backend_pid() pid")).rows[0]?.pid;
  const holderPid = (await holder.query<{ pid: number }>("select pg_backend_pid() pid")).rows[0]?.pid;
  const notices: string[] = [];
  const started: Started = { holder, conv, notices, call: Promise.resolve(null) };
  conv.on("notice", (m: { message?: string }) => {
    notices.push(m.message ?? "");
    onNotice(m.message ?? "", started);
  });
  if (setup) await conv.query(setup);
  started.call = conv.query(`call tide.convert('${table}', 'ts', '1 month')`).then(() => null, (e: pg.DatabaseError) => e);
  const waiting = (pid: number | undefined, mode: string) => async () =>
    (await watcher.query(`select from pg_locks where pid = $1 and relation = $2::regclass and mode = $3 and not granted`,
                         [pid, table, mode])).rowCount === 1;
  for (let attempt = 0; attempt < 20; attempt++) {
    await waitFor("convert_add_checks to wait for its lock", waiting(convPid, "AccessExclusiveLock"));
    await holder.query("begin");
    let granted = false;
    const lock = holder.query(`lock table ${table} in access share mode`).then(() => {
      granted = true;
    });
    await waitFor("the holder's lock request", async () => granted || (await waiting(holderPid, "AccessShareLock")()));
    if (granted) {
      // the ACCESS EXCLUSIVE request had timed out just then: not queued behind it, try again
      await holder.query("rollback");
      continue;
    }
    await first.query("commit");
    await lock;
    return started;
  }
  await first.query("commit");
  return null;
}

describe("tide.convert when the swap fails", () => {
  it("drops the CHECKs again when the swap cannot lock the table (55P03), so rows after the upper bound still go in", async () => {
    const c = await db.client();
    await fixture(c, "locked_log");
    const started = await convertWithTableLockedAfterChecks("locked_log", (m, s) => {
      // the swap gave up: let the clean-up have the table
      if (/dropping the CHECKs/.test(m)) void s.holder.query("commit");
    });
    expect(started).not.toBeNull();
    const err = await started!.call;
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toMatch(/could not lock table public.locked_log for the conversion swap/);
    expect(err?.detail).toMatch(/dropped its CHECKs tide_legacy_lower and tide_legacy_upper again: table locked_log is as it was/);
    expect(err?.hint).toBeTruthy();
    expect(await checks(c, "locked_log")).toEqual([]);
    expect(await relkind(c, "locked_log")).toBe("r");
    await c.query(futureInsert("locked_log"));
    expect(Number((await c.query(`select count(*) n from locked_log`)).rows[0]?.n)).toBe(501);
    // and a later convert, with the table free, goes through
    await c.query(`call tide.convert('locked_log', 'ts', '1 month')`);
    expect(await relkind(c, "locked_log")).toBe("p");
  }, 60_000);

  it("says how to drop the CHECKs when the table stays locked after the swap gave up", async () => {
    const c = await db.client();
    await fixture(c, "stuck_log");
    const started = await convertWithTableLockedAfterChecks("stuck_log", () => undefined);
    expect(started).not.toBeNull();
    const err = await started!.call;
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.detail).toMatch(/could not lock table stuck_log to drop its CHECKs tide_legacy_lower and tide_legacy_upper again: they stay/);
    const stmt = /ALTER TABLE stuck_log DROP CONSTRAINT IF EXISTS tide_legacy_lower, DROP CONSTRAINT IF EXISTS tide_legacy_upper;/.exec(err?.hint ?? "")?.[0];
    expect(stmt).toBeDefined();
    expect(await checks(c, "stuck_log")).toEqual(["tide_legacy_lower", "tide_legacy_upper"]);
    await started!.holder.query("commit");
    await expect(c.query(futureInsert("stuck_log"))).rejects.toMatchObject({ code: "23514" });
    await c.query(stmt as string);
    expect(await checks(c, "stuck_log")).toEqual([]);
    await c.query(futureInsert("stuck_log"));
  }, 60_000);

  it("drops the CHECKs again when the swap fails for another reason (a busy referenced table)", async () => {
    const c = await db.client();
    const app = await db.client();
    await c.query(`create table ref_target (v int primary key)`);
    await c.query(`insert into ref_target select generate_series(1, 500)`);
    await fixture(c, "fk_log", "references ref_target");
    // an open write on the referenced table: the swap's foreign key on the partitioned table waits
    // for it past the lock timeout
    await app.query("begin");
    await app.query(`insert into ref_target values (1000)`);
    const err = await c.query(`call tide.convert('fk_log', 'ts', '1 month')`).then(() => null, (e: pg.DatabaseError) => e);
    await app.query("commit");
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toMatch(/^the swap of table fk_log failed: /);
    expect(err?.detail).toMatch(/dropped its CHECKs tide_legacy_lower and tide_legacy_upper again/);
    expect(await checks(c, "fk_log")).toEqual([]);
    expect(await relkind(c, "fk_log")).toBe("r");
    await c.query(futureInsert("fk_log"));
    expect(Number((await c.query(`select count(*) n from fk_log`)).rows[0]?.n)).toBe(501);
  }, 60_000);

  it("drops the CHECKs again when statement_timeout cancels the swap (57014, which OTHERS does not catch)", async () => {
    const c = await db.client();
    await fixture(c, "timed_log");
    // the swap waits for the table, retrying with backoff for seconds; the statement timeout ends it first
    const started = await convertWithTableLockedAfterChecks("timed_log", (m, s) => {
      if (/dropping the CHECKs/.test(m)) void s.holder.query("commit");
    }, "set statement_timeout = '3s'");
    expect(started).not.toBeNull();
    const err = await started!.call;
    expect(err?.code).toBe("57014");
    expect(err?.message).toMatch(/^the swap of table timed_log failed: canceling statement due to statement timeout/);
    expect(err?.detail).toContain("dropped its CHECKs");
    expect(await checks(c, "timed_log")).toEqual([]);
    expect(await relkind(c, "timed_log")).toBe("r");
    await c.query(futureInsert("timed_log"));
  }, 60_000);
});
