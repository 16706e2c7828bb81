// The views a monitor reads never wait on a lock of a user table: not behind DDL holding a partition,
// and not in the queue behind DDL that waits for one (where everything after would queue behind them).
// An integer-keyed table's position is its largest key, which is table data; it is read without waiting,
// and estimated from the statistics, saying so, when a partition cannot be read at once.
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "./app.js";
import { freshDatabase, type TestDatabase } from "./db.js";

const T = `"Ev ""int"""`;
const P200 = `"Ev ""int""_p200"`;

let db: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  db = await freshDatabase({ prefix: "obs_locks" });
  admin = await db.client();
  await admin.query(`create table ${T} (id bigint not null, note text) partition by range (id)`);
  await admin.query(`select tide.manage('${T}', 'id', '100', premake => 3, start_at => '0')`);
  await admin.query(`create index on ${T} (note)`);
  await admin.query(`insert into ${T} (id, note) select g, 'row' from generate_series(1, 250) g`);
  await admin.query(`call tide.run_maintenance('${T}')`);
  await admin.query(`analyze ${T}`);
});
afterAll(async () => db?.drop());

/** The lock requests of backend `pid` that are waiting (not granted). */
async function waiting(pid: number): Promise<number> {
  const r = await admin.query<{ n: number }>(`select count(*)::int as n from pg_locks where pid = $1 and not granted`, [pid]);
  return r.rows[0]!.n;
}

/**
 * Run `sql` on `monitor` and watch it from another connection until it has either finished or is
 * seen waiting for a lock. When it waits, `release()` is called so that it can finish.
 */
async function runWatched<R extends pg.QueryResultRow>(monitor: pg.Client, sql: string, release: () => Promise<void>) {
  const pid = (await monitor.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
  let settled = false;
  const result = monitor.query<R>(sql).finally(() => {
    settled = true;
  });
  let waited = false;
  while (!settled) {
    if ((await waiting(pid)) > 0) {
      waited = true;
      await release();
      break;
    }
    await sleep(10);
  }
  return { waited, rows: (await result).rows };
}

async function waitUntilWaiting(pid: number): Promise<void> {
  while ((await waiting(pid)) === 0) await sleep(10);
}

describe("observability and locks of an integer-keyed table", () => {
  it("reports the exact position when nothing holds the partitions", async () => {
    const r = await admin.query(`select current_partition::text, partitions_ahead, position_note from tide.tables`);
    expect(r.rows).toEqual([{ current_partition: P200, partitions_ahead: 3, position_note: null }]);
  });

  it("tide.health, tide.tables and tide.recommendations do not wait while DDL holds the current partition", async () => {
    const holder = await db.client();
    const monitor = await db.client();
    await holder.query("begin");
    // DDL holds the current partition and the default (whose rows the views count)
    await holder.query(`lock table ${P200}, "Ev ""int""_default" in access exclusive mode`);
    const release = async () => {
      await holder.query("rollback");
    };
    try {
      const health = await runWatched<{ check: string }>(monitor, `select "check" from tide.health`, release);
      expect(health.waited).toBe(false);
      expect(health.rows.map((h) => h.check)).not.toContain("missing_partitions");
      const tables = await runWatched(monitor, `select current_partition::text, partitions_ahead, position_note from tide.tables`, release);
      expect(tables.waited).toBe(false);
      expect(tables.rows).toHaveLength(1);
      expect(tables.rows[0]).toMatchObject({ current_partition: P200, partitions_ahead: 3 });
      expect(tables.rows[0]!.position_note).toMatch(/locked.*estimated from the statistics/);
      const recs = await runWatched(monitor, `select * from tide.recommendations`, release);
      expect(recs.waited).toBe(false);
      // and the monitor's transaction keeps no lock of a user partition behind it
      await monitor.query("begin");
      await monitor.query(`select * from tide.tables`);
      const monitorPid = (await monitor.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      const held = await admin.query(
        `select relation::regclass::text from pg_locks where pid = $1 and relation in (select inhrelid from pg_inherits)`,
        [monitorPid],
      );
      expect(held.rows).toEqual([]);
      await monitor.query("rollback");
    } finally {
      await holder.query("rollback");
    }
  });

  it("tide.health does not queue behind DDL that waits for the current partition", async () => {
    const reader = await db.client();
    const ddl = await db.client();
    const monitor = await db.client();
    // a long read holds the partition; DDL then waits for it, and every later lock request on the partition queues behind the DDL
    await reader.query("begin");
    await reader.query(`select count(*) from ${P200}`);
    const ddlPid = (await ddl.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
    await ddl.query("begin");
    const pending = ddl.query(`lock table ${P200} in access exclusive mode`);
    await waitUntilWaiting(ddlPid);
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      await reader.query("commit");
      await pending;
      await ddl.query("rollback");
    };
    try {
      const health = await runWatched<{ check: string }>(monitor, `select "check" from tide.health`, release);
      expect(health.waited).toBe(false);
      expect(health.rows.map((h) => h.check)).not.toContain("missing_partitions");
      const tables = await runWatched(monitor, `select current_partition::text, position_note from tide.tables`, release);
      expect(tables.waited).toBe(false);
      expect(tables.rows[0]).toMatchObject({ current_partition: P200 });
    } finally {
      await release();
    }
  });

  it("tide.tables and tide.health do not wait for REINDEX, which holds the partitions' indexes and only SHARE on the tables", async () => {
    const holder = await db.client();
    const monitor = await db.client();
    const idx = await admin.query<{ i: string }>(
      `select indexrelid::regclass::text as i from pg_index where indrelid = $1::regclass`, [P200]);
    expect(idx.rows).toHaveLength(1);
    await holder.query("begin");
    // ACCESS EXCLUSIVE on the current partition's index and on the default's, SHARE on the tables (which NOWAIT gets past)
    await holder.query(`reindex index ${idx.rows[0]!.i}`);
    await holder.query(`reindex table "Ev ""int""_default"`);
    try {
      // without a bound on the index locks this waits until the REINDEX commits: the statement_timeout ends it
      await monitor.query("set statement_timeout = '5s'");
      const tables = await monitor.query(`select current_partition::text, partitions_ahead, default_rows, position_note from tide.tables`);
      expect(tables.rows).toHaveLength(1);
      expect(tables.rows[0]).toMatchObject({ current_partition: P200, partitions_ahead: 3 });
      expect(tables.rows[0]!.position_note).toMatch(/locked.*estimated from the statistics/);
      const health = await monitor.query<{ check: string }>(`select "check" from tide.health`);
      expect(health.rows.map((h) => h.check)).not.toContain("missing_partitions");
    } finally {
      await holder.query("rollback");
      await monitor.query("reset statement_timeout");
    }
  });
});
