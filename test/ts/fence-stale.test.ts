// A fence left by an earlier run, on real connections: once its cells have partitions and the
// default is empty (even with no pages left), the next run drops it, so late rows of a range that
// retention dropped land in the default again; while the default is busy the fence is left and
// the log says so (docs/engine.md, "Default partition").
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "fence_stale" });
});
afterAll(async () => db?.drop());

describe("a fence that no longer serves", () => {
  it("is dropped by the next run, or left and logged while the default is busy", async () => {
    const admin = await db.client();
    const holder = await db.client();
    await admin.query(`create table "Ev stale" (ts timestamptz not null, v text) partition by range (ts)`);
    await admin.query(`select tide.manage('"Ev stale"', 'ts', '1 month', premake => 2, keep => '3 months')`);
    await admin.query(`insert into "Ev stale" values ('2000-01-01', 'stray')`);
    await admin.query(`call tide.run_maintenance('"Ev stale"', as_of => now() + interval '1 month')`);
    const fenceOf = async () =>
      (await admin.query<{ conname: string }>(`select conname from pg_constraint where conrelid = '"Ev stale_default"'::regclass and conname like 'tide_fence%'`))
        .rows.map((r) => r.conname);
    const [fence] = await fenceOf();
    expect(fence).toMatch(/^tide_fence_\d+_\d+$/);
    // the fenced range's first instant
    const lower = new Date(Number(BigInt(fence!.split("_")[2]!) / 1000n));

    await admin.query(`delete from "Ev stale" where v = 'stray'`);
    await admin.query(`vacuum "Ev stale_default"`);
    expect(Number((await admin.query(`select pg_relation_size('"Ev stale_default"') as n`)).rows[0].n)).toBe(0);

    // a reader holds the default: the drop is tried once under the lock timeout, and logged
    await holder.query("begin");
    await holder.query(`select count(*) from "Ev stale_default"`);
    const since = new Date();
    await admin.query(`call tide.run_maintenance('"Ev stale"', as_of => now() + interval '12 months')`);
    await holder.query("commit");
    const logged = await admin.query<{ outcome: string; message: string }>(
      `select outcome, message from _tide.log where parent_oid = '"Ev stale"'::regclass::oid and logged_at >= $1 and action = 'fence'`,
      [since],
    );
    expect(logged.rows).toEqual([{ outcome: "lock_timeout", message: expect.stringMatching(/no longer serve were left/) }]);
    expect(await fenceOf()).toEqual([fence]);

    // the next run drops it; retention has dropped the partitions of its range by then
    await admin.query(`call tide.run_maintenance('"Ev stale"', as_of => now() + interval '12 months')`);
    expect(await fenceOf()).toEqual([]);
    await admin.query(`insert into "Ev stale" values ($1::timestamptz + interval '1 day', 'late')`, [lower.toISOString()]);
    expect(Number((await admin.query(`select count(*) as n from only "Ev stale_default" where v = 'late'`)).rows[0].n)).toBe(1);
  });
});
