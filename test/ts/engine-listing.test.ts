// The partition listing maintenance keeps between runs, on real connections: another session
// changing partitions while a run is under way, and keys compared across committed transactions
// (inside one pgTAP transaction every row has the same xmin; only here does xmin tell keys apart).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sleep } from "./app.js";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "listing" });
});
afterAll(async () => db?.drop());

describe("the kept partition listing", () => {
  it("a partition change committed by another session during a run is in the listing the run keeps, and retention judges by it", async () => {
    const a = await db.client();
    const b = await db.client();
    await a.query(`create table lrace (at timestamptz not null, v text) partition by range (at)`);
    await a.query(`select tide.manage('lrace', 'at', '1 day', premake => 2, keep => '3 days', start_at => '2031-03-01', default_partition => false)`);
    await a.query(`select * from _tide.maintain_table('lrace', '2031-03-02 12:00+00')`);
    expect((await a.query(`select listing_key is not null as kept from _tide.managed_tables where parent = 'lrace'::regclass`)).rows[0].kept).toBe(true);

    // by hand, in a transaction held open: the 3rd's table stretched over the 3rd and the 4th
    await b.query("begin");
    await b.query(`alter table lrace detach partition lrace_2031_03_03`);
    await b.query(`drop table lrace_2031_03_04`);
    await b.query(`alter table lrace attach partition lrace_2031_03_03 for values from ('2031-03-03 00:00+00') to ('2031-03-05 00:00+00')`);
    await b.query(`insert into lrace values ('2031-03-04 18:00+00', 'younger than keep')`);
    // a run that has work (one partition to create) starts while that change is in flight
    const run = a.query(`select outcome, partitions_created from _tide.maintain_table('lrace', '2031-03-03 12:00+00')`);
    await sleep(250);
    await b.query("commit");
    const r = await run;
    expect(r.rows[0].outcome).toBe("ok");

    const fresh = await a.query<{ kept: string[]; listed: string[]; key_holds: boolean }>(
      `select m.listing_partitions::regclass[]::text[] as kept, m.listing_key = _tide.listing_key(m.parent) as key_holds,
              (select array_agg(l.partition::text order by l.lower_pos) from _tide.list_partitions(m) l where not l.is_default) as listed
         from _tide.managed_tables m where m.parent = 'lrace'::regclass`);
    expect(fresh.rows[0]!.kept).toEqual(fresh.rows[0]!.listed);
    expect(fresh.rows[0]!.key_holds).toBe(true);

    // as of the 7th 12:00 the cutoff is the 4th 12:00: [3rd, 5th) is not wholly older than keep
    await a.query(`select * from _tide.maintain_table('lrace', '2031-03-07 12:00+00')`);
    expect((await a.query(`select to_regclass('lrace_2031_03_03') is not null as kept`)).rows[0].kept).toBe(true);
    expect((await a.query(`select count(*)::int as n from lrace`)).rows[0].n).toBe(1);
  });

  it("a partition detached, vacuumed away and attached again in a later transaction changes the key, even with the same bounds and tuple slot", async () => {
    const c = await db.client();
    await c.query(`create table lx (at timestamptz not null) partition by range (at)`);
    await c.query(`select tide.manage('lx', 'at', '1 day', premake => 2, start_at => '2031-03-01', default_partition => false)`);
    const slot = `select _tide.listing_key('lx') as k, (select ctid::text from pg_inherits where inhrelid = 'lx_2031_03_02'::regclass) as ctid`;
    const before = (await c.query<{ k: string; ctid: string }>(slot)).rows[0]!;
    await c.query(`alter table lx detach partition lx_2031_03_02`);
    await c.query(`vacuum pg_catalog.pg_inherits`); // the detached row's slot may be reused
    await c.query(`alter table lx attach partition lx_2031_03_02 for values from ('2031-03-02 00:00+00') to ('2031-03-03 00:00+00')`);
    const after = (await c.query<{ k: string; ctid: string }>(slot)).rows[0]!;
    // the oid and the bounds are the same; what differs is the inserting transaction (and maybe the slot)
    expect(after.k).not.toBe(before.k);
  });
});
