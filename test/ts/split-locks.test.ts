// tide.split_legacy and tide.convert on real connections: the split's attach reads nothing under its
// ACCESS EXCLUSIVE lock (the slice has the parent's foreign keys, validated, before it), writes of the
// interval being split cannot put a duplicate key into the legacy partition, a duplicate already there
// is refused with the statement that resolves it; convert's headroom is the same for timestamp and
// timestamptz columns east of UTC, and an identity column keeps its sequence's name.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "split_locks" });
});
afterAll(async () => db?.drop());

async function count(c: pg.Client, sql: string): Promise<number> {
  const r = await c.query<{ n: string }>(`select count(*) n from ${sql}`);
  return Number(r.rows[0]?.n);
}

describe("tide.split_legacy", () => {
  it("attaches a slice of a table with a foreign key without reading it under the parent's lock", async () => {
    const c = await db.client();
    await c.query(`create table fk_ref (id int primary key)`);
    await c.query(`insert into fk_ref select generate_series(1, 100)`);
    await c.query(`create table fk_log (id bigint generated always as identity, ts timestamptz not null,
                                        rid int references fk_ref (id) on delete cascade, primary key (id, ts))`);
    await c.query(`insert into fk_log (ts, rid) select timestamptz '2026-10-01' + i * interval '8 seconds', 1 + i % 100
                     from generate_series(0, 199999) i`);
    await c.query(`insert into fk_log (ts, rid) values ('2026-11-20', 1)`);
    await c.query(`call tide.convert('fk_log', 'ts', '1 month')`);
    const actions: string[] = [];
    let attach: { action: string; seq: number; ms: number } | undefined;
    for (let i = 0; i < 10 && !attach; i++) {
      await c.query("begin");
      // reads of the slice (the counters of this backend not yet flushed, before and after the step)
      const scans = async () =>
        Number((await c.query<{ n: string }>(`select coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) as n from pg_stat_xact_user_tables
                                                where relid = to_regclass('fk_log_2026_10')`)).rows[0]?.n);
      const before = await scans();
      const t0 = process.hrtime.bigint();
      const r = await c.query<{ action: string }>(`select action from _tide.convert_split_step('fk_log', 1000000)`);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const action = r.rows[0]?.action ?? "";
      actions.push(action);
      if (/^legacy partition now starts/.test(action)) {
        // the ATTACH's validation of a foreign key would read the whole slice
        attach = { action, seq: (await scans()) - before, ms };
      }
      await c.query("commit");
    }
    expect(actions).toEqual([
      "moved 200000 rows of 2026-10-01 00:00:00+00 .. 2026-11-01 00:00:00+00",
      // the slice has had the foreign key (NOT VALID) since it was made: only the CHECK is added here
      "interval 2026-10-01 00:00:00+00 .. 2026-11-01 00:00:00+00 emptied; CHECK added to public.fk_log_2026_10",
      "validated that public.fk_log_legacy holds nothing before 2026-11-01 00:00:00+00",
      "legacy partition now starts at 2026-11-01 00:00:00+00; attached public.fk_log_2026_10",
    ]);
    expect(attach?.seq).toBe(0);
    expect(attach?.ms).toBeLessThan(1000);
    // the slice's own foreign key, validated while standalone, is now the parent's
    const fk = await c.query(`select s.conname, s.convalidated, p.conname as parent_fk
                                from pg_constraint s join pg_constraint p on p.oid = s.conparentid
                               where s.conrelid = 'fk_log_2026_10'::regclass and s.contype = 'f'`);
    expect(fk.rows).toEqual([{ conname: "fk_log_rid_fkey", convalidated: true, parent_fk: "fk_log_rid_fkey" }]);
    // and it works: a row of October referencing nothing is refused, a delete cascades
    const bad = await c.query(`insert into fk_log (ts, rid) values ('2026-10-05', 1000)`).then(() => null, (e: pg.DatabaseError) => e);
    expect(bad?.code).toBe("23503");
    await c.query(`delete from fk_ref where id = 2`);
    expect(await count(c, `fk_log_2026_10 where rid = 2`)).toBe(0);
    await c.query(`call tide.split_legacy('fk_log')`);
    expect(await count(c, `fk_log`)).toBe(200001 - 2000);
  });

  it("rows waiting in the slice keep the parent's foreign keys: a cascade reaches them and the split finishes", async () => {
    const c = await db.client();
    await c.query(`create table sk_customers (id int primary key)`);
    await c.query(`insert into sk_customers select generate_series(1, 10)`);
    await c.query(`create table sk_orders (id bigint generated always as identity,
                                           cust_id int not null references sk_customers on delete cascade,
                                           ts timestamptz not null, primary key (id, ts))`);
    await c.query(`insert into sk_orders (cust_id, ts) select 1 + g % 10, '2025-01-01'::timestamptz + g * interval '1 hour' from generate_series(1, 1920) g`);
    await c.query(`call tide.convert('sk_orders', 'ts', '1 month')`);
    await c.query(`select * from _tide.convert_split_step('sk_orders', 100)`);  // 100 rows now wait in the slice
    const slice = (await c.query<{ s: string }>(`select slice::text as s from _tide.legacy where parent = 'sk_orders'::regclass`)).rows[0]!.s;
    expect(await count(c, `${slice} where cust_id = 3`)).toBeGreaterThan(0);
    await c.query(`delete from sk_customers where id = 3`);
    expect(await count(c, `${slice} where cust_id = 3`)).toBe(0);  // the cascade reached them
    await c.query(`call tide.split_legacy('sk_orders', 1000)`);
    expect(await count(c, `sk_orders where cust_id = 3`)).toBe(0);
    expect(await count(c, `sk_orders`)).toBe(1920 - 192);
  });

  it("a foreign key to a partitioned table: the slice gets the key itself, not PostgreSQL's clones of it per referenced partition", async () => {
    const c = await db.client();
    await c.query(`create table sp_ref (id int primary key) partition by range (id)`);
    await c.query(`create table sp_ref_a partition of sp_ref for values from (0) to (100)`);
    await c.query(`create table sp_ref_b partition of sp_ref for values from (100) to (200)`);
    await c.query(`insert into sp_ref select generate_series(0, 199)`);
    await c.query(`create table sp_ev (id bigint, ts timestamptz not null, rid int)`);
    await c.query(`insert into sp_ev select g, timestamptz '2026-09-01' + g * interval '1 hour', g % 200 from generate_series(1, 1500) g`);
    await c.query(`call tide.convert('sp_ev', 'ts', '1 month', premake => 2)`);
    await c.query(`alter table sp_ev add constraint sp_ev_rid_fkey foreign key (rid) references sp_ref (id) on delete cascade`);
    await c.query(`call tide.split_legacy('sp_ev', 100)`);
    expect(await count(c, `sp_ev`)).toBe(1500);
    const legacy = await c.query(`select state from _tide.legacy where parent = 'sp_ev'::regclass`);
    expect(legacy.rows[0]).toEqual({ state: "split" });
  });

  it("a DELETE trigger added half-way is refused with how to finish, not with 'leave it unsplit'", async () => {
    const c = await db.client();
    await c.query(`create table sk_ev (id bigint generated always as identity, ts timestamptz not null, primary key (id, ts))`);
    await c.query(`insert into sk_ev (ts) select '2025-01-01'::timestamptz + g * interval '1 hour' from generate_series(1, 1680) g`);
    await c.query(`call tide.convert('sk_ev', 'ts', '1 month')`);
    await c.query(`create function sk_noop() returns trigger language plpgsql as $$ begin return old; end $$`);
    await c.query(`select * from _tide.convert_split_step('sk_ev', 100)`);
    await c.query(`create trigger sk_audit_del before delete on sk_ev for each row execute function sk_noop()`);
    const err = await c.query(`select * from _tide.convert_split_step('sk_ev', 100)`).then(() => null, (e: { code?: string; hint?: string }) => e);
    expect(err?.code).toBe("55000");
    expect(err?.hint).toContain("to finish the split");
    expect(err?.hint).not.toContain("unsplit");
    await c.query(`alter table sk_ev disable trigger sk_audit_del`);
    await c.query(`call tide.split_legacy('sk_ev', 1000)`);
    await c.query(`alter table sk_ev enable trigger sk_audit_del`);
    expect(await count(c, `sk_ev`)).toBe(1680);
  });

  it("adds a foreign key the parent gained after the slice was validated before it attaches", async () => {
    const c = await db.client();
    await c.query(`create table late_ref (id int primary key)`);
    await c.query(`insert into late_ref values (1)`);
    await c.query(`create table late_log (id bigint generated always as identity, ts timestamptz not null, rid int, primary key (id, ts))`);
    await c.query(`insert into late_log (ts, rid) select timestamptz '2026-10-01' + i * interval '1 hour', 1 from generate_series(0, 99) i`);
    await c.query(`insert into late_log (ts, rid) values ('2026-11-20', 1)`);
    await c.query(`call tide.convert('late_log', 'ts', '1 month')`);
    for (let i = 0; i < 3; i++) await c.query(`select * from _tide.convert_split_step('late_log', 1000)`);
    await c.query(`alter table late_log add constraint late_log_rid_fkey foreign key (rid) references late_ref (id)`);
    const actions: string[] = [];
    for (let i = 0; i < 3; i++) {
      actions.push((await c.query<{ action: string }>(`select action from _tide.convert_split_step('late_log', 1000)`)).rows[0]?.action ?? "");
    }
    expect(actions).toEqual([
      "added foreign key(s) late_log_rid_fkey to public.late_log_2026_10 NOT VALID",
      "validated foreign key(s) late_log_rid_fkey of public.late_log_2026_10",
      "legacy partition now starts at 2026-11-01 00:00:00+00; attached public.late_log_2026_10",
    ]);
  });

  it("gives a foreign key with a 63-byte name, which the slice holds in an earlier definition, a name of its own that fits", async () => {
    const c = await db.client();
    const fk = "lf_" + "x".repeat(60);  // 63 bytes, the longest name PostgreSQL keeps
    await c.query(`create table lf_ref (id int primary key, code int unique)`);
    await c.query(`insert into lf_ref select i, i from generate_series(1, 10) i`);
    await c.query(`create table lf_log (id bigint generated always as identity, ts timestamptz not null, rid int,
                                        primary key (id, ts), constraint "${fk}" foreign key (rid) references lf_ref (id))`);
    await c.query(`insert into lf_log (ts, rid) select timestamptz '2026-10-01' + i * interval '1 hour', 1 + i % 10 from generate_series(0, 99) i`);
    await c.query(`insert into lf_log (ts, rid) values ('2026-11-20', 1)`);
    await c.query(`call tide.convert('lf_log', 'ts', '1 month')`);
    expect((await c.query<{ action: string }>(`select action from _tide.convert_split_step('lf_log', 1000)`)).rows[0]?.action).toMatch(/^moved 100 rows/);
    // the slice has the foreign key as it was; the table's is now another one of the same name
    await c.query(`alter table lf_log drop constraint "${fk}"`);
    await c.query(`alter table lf_log add constraint "${fk}" foreign key (rid) references lf_ref (code)`);
    await c.query(`call tide.split_legacy('lf_log', 1000)`);
    expect(await count(c, `lf_log`)).toBe(101);
    const linked = await c.query<{ conname: string; def: string }>(`select s.conname, pg_get_constraintdef(s.oid) as def from pg_constraint s
                                      where s.conrelid = 'lf_log_2026_10'::regclass and s.contype = 'f' and s.conparentid <> 0`);
    expect(linked.rows).toHaveLength(1);
    expect(linked.rows[0]?.def).toBe("FOREIGN KEY (rid) REFERENCES lf_ref(code)");
    expect(linked.rows[0]?.conname).toMatch(/^lf_x+_[0-9a-f]{1,4}$/);
    expect(linked.rows[0]?.conname.length).toBeLessThanOrEqual(63);
    expect(linked.rows[0]?.conname).not.toBe(fk);
  });

  it("refuses writes of the interval being split instead of letting a duplicate key into the legacy partition", async () => {
    const c = await db.client();
    await c.query(`create table dup_log (event_id int not null, ts timestamptz not null, primary key (event_id, ts))`);
    await c.query(`insert into dup_log select i, timestamptz '2026-10-15' + i * interval '1 minute' from generate_series(1, 1000) i`);
    await c.query(`insert into dup_log values (0, '2026-11-20')`);
    await c.query(`call tide.convert('dup_log', 'ts', '1 month')`);
    await c.query(`select action from _tide.convert_split_step('dup_log', 100)`);
    // the key moved to the slice: invisible to the parent's unique index, but the write is refused
    const err = await c.query(`insert into dup_log values (5, timestamptz '2026-10-15' + 5 * interval '1 minute') on conflict do nothing`)
      .then(() => null, (e: pg.DatabaseError) => e);
    expect(err).toMatchObject({ code: "23514", constraint: "tide_legacy_next", table: "dup_log_legacy" });
    // writes of other intervals go on
    await c.query(`insert into dup_log values (7, '2026-11-21') on conflict do nothing`);
    await c.query(`call tide.split_legacy('dup_log', 100)`);
    expect(await count(c, `dup_log`)).toBe(1002);
    expect(await count(c, `(select event_id, ts from dup_log group by 1, 2 having count(*) > 1) d`)).toBe(0);
    expect(await count(c, `dup_log_2026_10`)).toBe(1000);
  });

  it("refuses a duplicate key already in the legacy partition with the statement that resolves it, then finishes", async () => {
    const c = await db.client();
    await c.query(`create table old_dup (event_id int not null, ts timestamptz not null, note text, primary key (event_id, ts))`);
    await c.query(`insert into old_dup select i, timestamptz '2026-10-15' + i * interval '1 minute', 'first' from generate_series(1, 1000) i`);
    await c.query(`insert into old_dup values (0, '2026-11-20')`);
    await c.query(`call tide.convert('old_dup', 'ts', '1 month')`);
    await c.query(`select action from _tide.convert_split_step('old_dup', 100)`);
    // as a version without tide_legacy_next left it: a row written into the legacy partition
    // after its key had moved
    await c.query(`alter table old_dup_legacy drop constraint tide_legacy_next`);
    await c.query(`insert into old_dup values (5, timestamptz '2026-10-15' + 5 * interval '1 minute', 'second') on conflict do nothing`);
    for (let run = 0; run < 2; run++) {
      const err = await c.query(`call tide.split_legacy('old_dup', 100)`).then(() => null, (e: pg.DatabaseError) => e);
      expect(err).toMatchObject({
        code: "23505",
        message: "table public.old_dup: a row of its legacy partition public.old_dup_legacy has a key that the slice table public.old_dup_2026_10 already holds",
      });
      expect(err?.detail).toMatch(/^Key \(event_id, ts\)=\(5, 2026-10-15 00:05:00\+00\) already exists\. \(unique index old_dup_2026_10_pkey of public\.old_dup_2026_10\)/);
      expect(err?.hint).toBe(
        "Keep one of the two rows: DELETE FROM public.old_dup_legacy WHERE (event_id, ts) = ('5', '2026-10-15 00:05:00+00'); (the later copy) or " +
          "DELETE FROM public.old_dup_2026_10 WHERE (event_id, ts) = ('5', '2026-10-15 00:05:00+00'); then CALL tide.split_legacy('public.old_dup') again.");
    }
    await c.query(`DELETE FROM old_dup_legacy WHERE (event_id, ts) = ('5', '2026-10-15 00:05:00+00')`);
    await c.query(`call tide.split_legacy('old_dup', 100)`);
    expect(await count(c, `old_dup`)).toBe(1001);
    expect((await c.query(`select note from old_dup where event_id = 5`)).rows).toEqual([{ note: "first" }]);
  });
});

describe("tide.split_legacy under a conflicting lock", () => {
  // A session holding a lock that conflicts with a step: the step gives up within the table's
  // lock_timeout and retries (55P03 naming the lock, nothing of the step done), and once the lock
  // is gone the same step goes through. The statement_timeout only keeps a step that would wait
  // forever from hanging the test.
  async function splitFixture(c: pg.Client, table: string, fk?: string): Promise<void> {
    if (fk) {
      await c.query(`create table ${fk} (id int primary key)`);
      await c.query(`insert into ${fk} select generate_series(1, 10)`);
    }
    await c.query(`create table ${table} (id bigint generated always as identity, ts timestamptz not null,
                                          rid int${fk ? ` references ${fk} (id)` : ""}, primary key (id, ts))`);
    await c.query(`insert into ${table} (ts, rid) select timestamptz '2026-10-01' + i * interval '1 hour', 1 + i % 10 from generate_series(0, 99) i`);
    await c.query(`insert into ${table} (ts, rid) values ('2026-11-20', 1)`);
    await c.query(`call tide.convert('${table}', 'ts', '1 month')`);
    await c.query(`update tide.config set lock_timeout = '50ms', lock_retries = 2 where parent = $1::regclass`, [table]);
    await c.query(`set statement_timeout = '20s'`);
  }
  const step = async (c: pg.Client, table: string) =>
    (await c.query<{ action: string }>(`select action from _tide.convert_split_step('${table}', 1000)`)).rows[0]?.action ?? "";
  const failedStep = (c: pg.Client, table: string) =>
    c.query(`select action from _tide.convert_split_step('${table}', 1000)`).then(() => null, (e: pg.DatabaseError) => e);

  it("gives up moving a batch while a session holds SHARE on the legacy partition, then moves it", async () => {
    const c = await db.client();
    const holder = await db.client();
    await splitFixture(c, "lk_batch");
    await holder.query("begin");
    await holder.query("lock table lk_batch_legacy in share mode");  // as CREATE INDEX does
    const err = await failedStep(c, "lk_batch");
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toBe("tide.split_legacy of table public.lk_batch could not move a batch from public.lk_batch_legacy to public.lk_batch_2026_10 (ROW EXCLUSIVE) within its lock_timeout");
    expect(err?.detail).toMatch(/^The lock was waited for 00:00:00\.05 at a time, 3 times .*This step changed nothing/);
    expect(err?.hint).toContain("CALL tide.split_legacy('public.lk_batch') again");
    expect(await count(c, `lk_batch_legacy`)).toBe(101);
    await holder.query("commit");
    expect(await step(c, "lk_batch")).toBe("moved 100 rows of 2026-10-01 00:00:00+00 .. 2026-11-01 00:00:00+00");
    await c.query(`call tide.split_legacy('lk_batch')`);
    expect(await count(c, `lk_batch`)).toBe(101);
  }, 60_000);

  it("gives up validating tide_legacy_next while a session holds SHARE on the legacy partition, then validates it", async () => {
    const c = await db.client();
    const holder = await db.client();
    await splitFixture(c, "lk_next");
    expect(await step(c, "lk_next")).toMatch(/^moved 100 rows/);
    expect(await step(c, "lk_next")).toMatch(/emptied; CHECK added to public.lk_next_2026_10$/);
    await holder.query("begin");
    await holder.query("lock table lk_next_legacy in share mode");
    const err = await failedStep(c, "lk_next");
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toBe("tide.split_legacy of table public.lk_next could not validate CHECK tide_legacy_next of public.lk_next_legacy (SHARE UPDATE EXCLUSIVE) within its lock_timeout");
    await holder.query("commit");
    expect(await step(c, "lk_next")).toBe("validated that public.lk_next_legacy holds nothing before 2026-11-01 00:00:00+00");
    await c.query(`call tide.split_legacy('lk_next')`);
    expect(await count(c, `lk_next`)).toBe(101);
  }, 60_000);

  it("gives up validating the slice's foreign key while a session holds ACCESS EXCLUSIVE on the referenced table, then validates it", async () => {
    const c = await db.client();
    const holder = await db.client();
    await splitFixture(c, "lk_fk", "lk_fk_ref");
    expect(await step(c, "lk_fk")).toMatch(/^moved 100 rows/);
    expect(await step(c, "lk_fk")).toMatch(/emptied; CHECK added to public.lk_fk_2026_10$/);
    await holder.query("begin");
    await holder.query("lock table lk_fk_ref in access exclusive mode");
    const err = await failedStep(c, "lk_fk");
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toBe("tide.split_legacy of table public.lk_fk could not validate the foreign keys of public.lk_fk_2026_10 (ROW SHARE on the referenced tables) within its lock_timeout");
    // the step's VALIDATE of tide_legacy_next was rolled back with it
    expect((await c.query(`select convalidated as v from pg_constraint where conrelid = 'lk_fk_legacy'::regclass and conname = 'tide_legacy_next'`)).rows)
      .toEqual([{ v: false }]);
    await holder.query("commit");
    expect(await step(c, "lk_fk")).toBe("validated that public.lk_fk_legacy holds nothing before 2026-11-01 00:00:00+00");
    expect((await c.query(`select convalidated as v from pg_constraint where conrelid = 'lk_fk_2026_10'::regclass and contype = 'f'`)).rows)
      .toEqual([{ v: true }]);
    await c.query(`call tide.split_legacy('lk_fk')`);
    expect(await count(c, `lk_fk`)).toBe(101);
  }, 60_000);
});

describe("tide.convert", () => {
  it("gives up its VALIDATE while a session holds SHARE on the table, then validates", async () => {
    const c = await db.client();
    const holder = await db.client();
    await c.query(`create table lk_conv (ts timestamptz not null)`);
    await c.query(`insert into lk_conv select timestamptz '2026-10-01' + i * interval '1 hour' from generate_series(0, 99) i`);
    await c.query(`set statement_timeout = '20s'`);
    await c.query(`select _tide.convert_add_checks('lk_conv', 'ts', 'timestamptz', '2026-10-01', '2027-01-01')`);
    await holder.query("begin");
    await holder.query("lock table lk_conv in share mode");
    const err = await c.query(`select _tide.convert_validate('lk_conv')`).then(() => null, (e: pg.DatabaseError) => e);
    expect(err).toMatchObject({ code: "55P03" });
    expect(err?.message).toBe("could not lock table public.lk_conv to validate the conversion CHECKs within 00:00:00.1, 11 times");
    expect(err?.hint).toMatch(/^Run tide.convert again/);
    await holder.query("commit");
    await c.query(`select _tide.convert_validate('lk_conv')`);
    expect((await c.query(`select conname, convalidated from pg_constraint where conrelid = 'lk_conv'::regclass order by 1`)).rows).toEqual([
      { conname: "tide_legacy_lower", convalidated: true },
      { conname: "tide_legacy_upper", convalidated: true },
    ]);
  }, 60_000);

  it("converts a table with a foreign key to a partitioned table (its own key, not the clones PostgreSQL keeps per referenced partition)", async () => {
    const c = await db.client();
    await c.query(`create table cp_ref (id int primary key) partition by range (id)`);
    await c.query(`create table cp_ref_a partition of cp_ref for values from (0) to (100)`);
    await c.query(`create table cp_ref_b partition of cp_ref for values from (100) to (200)`);
    await c.query(`insert into cp_ref select generate_series(0, 199)`);
    await c.query(`create table cp_ev (id bigint, ts timestamptz not null, rid int references cp_ref (id))`);
    await c.query(`insert into cp_ev select g, timestamptz '2026-09-01' + g * interval '1 hour', g % 200 from generate_series(1, 500) g`);
    await c.query(`call tide.convert('cp_ev', 'ts', '1 month', premake => 2)`);
    expect((await c.query(`select relkind::text as k from pg_class where oid = 'cp_ev'::regclass`)).rows[0]).toEqual({ k: "p" });
    const bad = await c.query(`insert into cp_ev values (0, '2026-12-05', 500)`).then(() => null, (e: pg.DatabaseError) => e);
    expect(bad?.code).toBe("23503");
  });

  it("gives a timestamp column east of UTC the headroom a timestamptz column gets", async () => {
    const c = await db.client();
    await c.query(`create table head_ts (ts timestamp not null)`);
    await c.query(`insert into head_ts values ('2026-12-01 23:50')`);
    await c.query(`create table head_tz (ts timestamptz not null)`);
    await c.query(`insert into head_tz values ('2026-12-01 14:50+00')`);
    // 14:55 UTC is 23:55 in Tokyo: the day's edge is 5 minutes away, so both end a day later
    const up = async (t: string) =>
      (await c.query<{ u: string }>(`select _tide.convert_preflight($1, 'ts', '1 day', 4, null, 'drop', 'Asia/Tokyo', true, '2026-12-01 14:55+00') ->> 'upper_bound' as u`, [t])).rows[0]?.u;
    expect(await up("head_tz")).toBe("2026-12-02 15:00:00+00");
    expect(await up("head_ts")).toBe("2026-12-03 00:00:00");
    // and at 14:30 UTC (23:30 in Tokyo, 30 minutes of headroom) both end at the next edge
    const up2 = async (t: string) =>
      (await c.query<{ u: string }>(`select _tide.convert_preflight($1, 'ts', '1 day', 4, null, 'drop', 'Asia/Tokyo', true, '2026-12-01 14:30+00') ->> 'upper_bound' as u`, [t])).rows[0]?.u;
    expect(await up2("head_tz")).toBe("2026-12-01 15:00:00+00");
    expect(await up2("head_ts")).toBe("2026-12-02 00:00:00");
  });

  it("keeps an identity column's sequence name and grants, through convert and unconvert", async () => {
    const c = await db.client();
    await c.query(`create table ident_log (id int generated always as identity, ts timestamptz not null, primary key (id, ts))`);
    await c.query(`insert into ident_log (ts) select now() - i * interval '1 hour' from generate_series(1, 10) i`);
    await c.query(`grant select on sequence ident_log_id_seq to public`);
    await c.query(`call tide.convert('ident_log', 'ts', '1 month')`);
    expect((await c.query(`select pg_get_serial_sequence('ident_log', 'id') as s`)).rows[0]?.s).toBe("public.ident_log_id_seq");
    expect((await c.query(`select pg_get_serial_sequence('ident_log_legacy', 'id') as s`)).rows[0]?.s).toBe("public.ident_log_id_seq_legacy");
    expect((await c.query(`select has_sequence_privilege('public', 'ident_log_id_seq', 'select') as g`)).rows[0]?.g).toBe(true);
    const id = (await c.query<{ id: number }>(`insert into ident_log (ts) values (now()) returning id`)).rows[0]?.id;
    expect(id).toBe(11);
    expect((await c.query(`select last_value from ident_log_id_seq`)).rows[0]?.last_value).toBe("11");
    await c.query(`call tide.unconvert('ident_log')`);
    expect((await c.query(`select pg_get_serial_sequence('ident_log', 'id') as s`)).rows[0]?.s).toBe("public.ident_log_id_seq");
    expect(await count(c, `pg_class where relname like 'ident_log_id_seq%'`)).toBe(1);
    expect((await c.query<{ id: number }>(`insert into ident_log (ts) values (now()) returning id`)).rows[0]?.id).toBe(12);
  });
});
