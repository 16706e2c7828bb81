// The default-partition fence on an integer key, on real connections: the series has outrun
// premake into the default, which also holds many far-ahead keys, and the application keeps
// writing the next keys of the series, one commit per row, while maintenance runs. The fence
// must never refuse one of them (docs/engine.md, "Default partition").
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep, statementLoop } from "./app.js";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "fence_int" });
});
afterAll(async () => db?.drop());

/** Insert the keys first, first + 1, … one row per commit every 2 ms until stopped; record every failure. */
const seriesLoop = (client: pg.Client, table: string, first: number) =>
  statementLoop(client, (n) => [`insert into ${table} (id, note) values ($1, 'app')`, [first + n]], 2);

describe("the fence on an integer key", () => {
  it("never refuses the next keys of a series that outran premake into a default holding many far-ahead keys", async () => {
    const admin = await db.client();
    const writer = await db.client();
    const holder = await db.client();
    await admin.query(`create table "Ev int" (id bigint not null, note text) partition by range (id)`);
    await admin.query(`select tide.manage('"Ev int"', 'id', '1000', premake => 2, start_at => '0')`);
    // 1,000,000 far-ahead keys (a fence's validation scans them all), then the series itself past
    // premake: 3000 .. 3500 land in the default
    await admin.query(`insert into "Ev int" (id, note) select 100000000 + g, 'far' from generate_series(1, 1000000) g`);
    await admin.query(`insert into "Ev int" (id, note) select g, 'series' from generate_series(1, 3500) g`);
    await admin.query(`analyze "Ev int"`);
    // another session holds the parent SHARE UPDATE EXCLUSIVE (as a manual VACUUM or ANALYZE does):
    // the fence step runs, the creation step gives up within its lock budget, so every insert below
    // meets only what the fence step leaves (an ATTACH of the very cell being written is another matter)
    await holder.query("begin");
    await holder.query(`lock table only "Ev int" in share update exclusive mode`);

    const since = new Date();
    const inserts = seriesLoop(writer, `"Ev int"`, 3501);
    await sleep(100);
    await admin.query(`call tide.run_maintenance('"Ev int"')`);
    await sleep(300);
    const stats = await inserts.stop();
    await holder.query("commit");

    expect(stats.errors).toEqual([]);
    expect(stats.count).toBeGreaterThan(20);
    const rows = await admin.query<{ n: number }>(`select count(*)::int as n from "Ev int" where note = 'app'`);
    expect(rows.rows[0]!.n).toBe(stats.count);
    const log = await admin.query<{ action: string; outcome: string }>(
      `select action, outcome from _tide.log where parent_oid = '"Ev int"'::regclass::oid and logged_at >= $1 order by log_id`,
      [since],
    );
    expect(log.rows).toContainEqual({ action: "maintain", outcome: "lock_timeout" });
    const fences = await admin.query(`select conname from pg_constraint where conrelid = '"Ev int_default"'::regclass and conname like 'tide_fence%'`);
    expect(fences.rows).toEqual([]);

    // the next run, unhindered, creates the cells through premake, moving the series' rows
    await admin.query(`call tide.run_maintenance('"Ev int"')`);
    const bounds = await admin.query<{ bound: string }>(
      `select pg_get_expr(c.relpartbound, c.oid) as bound from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = '"Ev int"'::regclass and c.relname = 'Ev int_p3000'`,
    );
    expect(bounds.rows).toEqual([{ bound: "FOR VALUES FROM ('3000') TO ('4000')" }]);
    const total = await admin.query<{ n: number }>(`select count(*)::int as n from "Ev int"`);
    expect(total.rows[0]!.n).toBe(1_000_000 + 3500 + stats.count);
  });
});
