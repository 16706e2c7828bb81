// tide.split_legacy, tide.drain_default and tide.create_partitions never lose rows: the split refuses
// (changing nothing) a table a foreign key references or with a row-level DELETE trigger, all three
// a table whose unconvert is in progress; and a split's expiry does not depend on the session's TimeZone.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "split_safety" });
});
afterAll(async () => db?.drop());

/** 2,000 hourly rows before now in a plain table, then converted: all of them in `<table>_legacy`. */
async function converted(c: pg.Client, table: string): Promise<void> {
  await c.query(`create table ${table} (id bigint generated always as identity, ts timestamptz not null, a int, primary key (id, ts))`);
  await c.query(`insert into ${table} (ts) select now() - interval '1 day' - i * interval '1 hour' from generate_series(1, 2000) i`);
  await c.query(`call tide.convert('${table}', 'ts', '1 month')`);
}

async function count(c: pg.Client, sql: string): Promise<number> {
  const r = await c.query<{ n: string }>(`select count(*) n from ${sql}`);
  return Number(r.rows[0]?.n);
}

/** What a refused call must leave as it was: rows, partitions, CHECKs, pgtide's state. */
async function state(c: pg.Client, table: string): Promise<unknown> {
  const r = await c.query(
    `select (select count(*) from ${table}) as rows,
            (select count(*) from ${table}_legacy) as legacy_rows,
            (select array_agg(i.inhrelid::regclass::text || ' ' || pg_get_expr(k.relpartbound, k.oid) order by i.inhrelid::regclass::text)
               from pg_inherits i join pg_class k on k.oid = i.inhrelid where i.inhparent = $1::regclass) as partitions,
            (select array_agg(conname::text order by conname) from pg_constraint where conrelid = '${table}_legacy'::regclass) as legacy_constraints,
            (select array_agg(relname::text order by relname) from pg_class where relname like $2 and relkind = 'r' and not relispartition) as loose_tables,
            (select row(l.state, l.rows_moved, l.rows_expired, l.slice) from _tide.legacy l where l.parent = $1::regclass)::text as legacy,
            (select row(m.enabled) from _tide.managed_tables m where m.parent = $1::regclass)::text as managed`,
    [table, `${table}\\_%`],
  );
  return r.rows[0];
}

async function refusal(c: pg.Client, sql: string): Promise<pg.DatabaseError> {
  const err = await c.query(sql).then(() => null, (e: pg.DatabaseError) => e);
  expect(err).not.toBeNull();
  return err as pg.DatabaseError;
}

describe("tide.split_legacy on a table a foreign key references", () => {
  it("refuses before anything moves: no referencing row is deleted, nothing changes", async () => {
    const c = await db.client();
    await converted(c, "fk_log");
    await c.query(`create table fk_child (cid serial primary key, tid bigint, tts timestamptz,
                     constraint fk_child_to_log foreign key (tid, tts) references fk_log (id, ts) on delete cascade)`);
    await c.query(`insert into fk_child (tid, tts) select id, ts from fk_log where id % 10 = 0`);
    const before = await state(c, "fk_log");
    const err = await refusal(c, `call tide.split_legacy('fk_log', 500)`);
    expect(err.code).toBe("55000");
    expect(err.message).toMatch(/fk_log/);
    expect(err.detail).toMatch(/fk_child_to_log on table public\.fk_child/);
    expect(err.hint).toMatch(/NOT VALID/);
    expect(await count(c, "fk_child")).toBe(200);
    expect(await state(c, "fk_log")).toEqual(before);
    // the legacy partition can still be split once the foreign key is out of the way
    await c.query(`alter table fk_child drop constraint fk_child_to_log`);
    await c.query(`call tide.split_legacy('fk_log', 500)`);
    expect(await count(c, "fk_log")).toBe(2000);
    expect(await count(c, "fk_child")).toBe(200);
  }, 60_000);

  it("refuses a foreign key that references the legacy partition itself", async () => {
    const c = await db.client();
    await converted(c, "fk_direct");
    await c.query(`create table fk_direct_child (tid bigint, tts timestamptz,
                     constraint fk_direct_child_to_legacy foreign key (tid, tts) references fk_direct_legacy (id, ts) on delete set null)`);
    await c.query(`insert into fk_direct_child select id, ts from fk_direct where id % 100 = 0`);
    const before = await state(c, "fk_direct");
    const err = await refusal(c, `call tide.split_legacy('fk_direct', 500)`);
    expect(err.code).toBe("55000");
    expect(err.detail).toMatch(/fk_direct_child_to_legacy/);
    expect(err.hint).toBeTruthy();
    expect(await count(c, "fk_direct_child where tid is not null")).toBe(20);
    expect(await state(c, "fk_direct")).toEqual(before);
  }, 60_000);

  it("refuses a table with a row-level DELETE trigger, which would see every moved row as deleted", async () => {
    const c = await db.client();
    await converted(c, "trg_log");
    await c.query(`create table trg_deleted (id bigint)`);
    await c.query(`create function trg_note() returns trigger language plpgsql as $$
                     begin insert into public.trg_deleted values (old.id); return old; end $$`);
    await c.query(`create trigger trg_note_delete after delete on trg_log for each row execute function trg_note()`);
    // an INSERT trigger is no reason to refuse: moved rows fill a standalone table, where it does not fire
    await c.query(`create table trg_inserted (id bigint)`);
    await c.query(`create function trg_note_insert() returns trigger language plpgsql as $$
                     begin insert into public.trg_inserted values (new.id); return new; end $$`);
    await c.query(`create trigger trg_note_insert after insert on trg_log for each row execute function trg_note_insert()`);
    const before = await state(c, "trg_log");
    const err = await refusal(c, `call tide.split_legacy('trg_log', 500)`);
    expect(err.code).toBe("55000");
    expect(err.detail).toMatch(/trg_note_delete/);
    expect(err.hint).toMatch(/DISABLE TRIGGER/);
    expect(await count(c, "trg_deleted")).toBe(0);
    expect(await state(c, "trg_log")).toEqual(before);
    // disabled around the split, as the HINT says: the split runs and the trigger sees nothing
    await c.query(`alter table trg_log disable trigger trg_note_delete`);
    await c.query(`call tide.split_legacy('trg_log', 500)`);
    await c.query(`alter table trg_log enable trigger trg_note_delete`);
    expect(await count(c, "trg_log")).toBe(2000);
    expect(await count(c, "trg_deleted")).toBe(0);
    expect(await count(c, "trg_inserted")).toBe(0);
  }, 60_000);
});

describe("while tide.unconvert copies a table", () => {
  it("split_legacy refuses and changes nothing, and the unconvert keeps every row", async () => {
    const c = await db.client();
    await converted(c, "unc_split");
    await c.query(`insert into unc_split (ts) select now() + interval '45 days' + i * interval '1 minute' from generate_series(1, 500) i`);
    await c.query(`select _tide.unconvert_start('unc_split')`);
    await c.query(`select * from _tide.unconvert_step('unc_split', 100)`);
    const before = await state(c, "unc_split");
    const err = await refusal(c, `call tide.split_legacy('unc_split', 300)`);
    expect(err.code).toBe("55000");
    expect(err.message).toMatch(/unconvert of table public\.unc_split is in progress/);
    expect(err.detail).toBeTruthy();
    expect(err.hint).toMatch(/tide\.unconvert/);
    expect(await state(c, "unc_split")).toEqual(before);
    expect(await count(c, "_tide.unconvert_changes")).toBe(0); // none recorded: nothing moved
    await c.query(`call tide.unconvert('unc_split', 100)`);
    expect(await count(c, "unc_split")).toBe(2500);
  }, 60_000);

  it("drain_default refuses and changes nothing, and the unconvert keeps every row", async () => {
    const c = await db.client();
    await c.query(`create table unc_drain (id bigint generated always as identity, ts timestamptz not null, primary key (id, ts))
                     partition by range (ts)`);
    await c.query(`select tide.manage('unc_drain', 'ts', '1 month', premake => 2)`);
    await c.query(`insert into unc_drain (ts) select now() + i * interval '1 second' from generate_series(1, 300) i`);
    // rows beyond the premade partitions land in the default
    await c.query(`insert into unc_drain (ts) select now() + interval '400 days' + i * interval '1 minute' from generate_series(1, 200) i`);
    expect(await count(c, "unc_drain_default")).toBe(200);
    await c.query(`select _tide.unconvert_start('unc_drain')`);
    await c.query(`select * from _tide.unconvert_step('unc_drain', 100)`);
    const parts = `select array_agg(inhrelid::regclass::text order by 1) p from pg_inherits where inhparent = 'unc_drain'::regclass`;
    const partsBefore = (await c.query(parts)).rows[0];
    const err = await refusal(c, `call tide.drain_default('unc_drain', 50)`);
    expect(err.code).toBe("55000");
    expect(err.message).toMatch(/unconvert of table public\.unc_drain is in progress/);
    expect(err.detail).toBeTruthy();
    expect(err.hint).toMatch(/tide\.unconvert/);
    expect((await c.query(parts)).rows[0]).toEqual(partsBefore);
    expect(await count(c, "unc_drain_default")).toBe(200);
    expect(await count(c, "unc_drain")).toBe(500);
    expect(await count(c, "_tide.unconvert_changes")).toBe(0); // none recorded: nothing moved
    await c.query(`call tide.unconvert('unc_drain', 100)`);
    expect(await count(c, "unc_drain")).toBe(500);
  }, 60_000);

  it("create_partitions refuses and changes nothing, and the unconvert keeps every row", async () => {
    const c = await db.client();
    await c.query(`create table unc_create (id bigint generated always as identity, ts timestamptz not null, primary key (id, ts))
                     partition by range (ts)`);
    await c.query(`select tide.manage('unc_create', 'ts', '1 month', premake => 2)`);
    await c.query(`insert into unc_create (ts) select now() + i * interval '1 second' from generate_series(1, 300) i`);
    await c.query(`insert into unc_create (ts) select now() + interval '400 days' + i * interval '1 minute' from generate_series(1, 200) i`);
    await c.query(`select _tide.unconvert_start('unc_create')`);
    await c.query(`select * from _tide.unconvert_step('unc_create', 100)`);
    const err = await refusal(c, `select * from tide.create_partitions('unc_create', (now() + interval '401 days')::text)`);
    expect(err.code).toBe("55000");
    expect(err.message).toMatch(/unconvert of table public\.unc_create is in progress/);
    expect(err.detail).toMatch(/tide\.create_partitions/);
    expect(err.hint).toMatch(/tide\.unconvert/);
    expect(await count(c, "pg_inherits where inhparent = 'unc_create'::regclass")).toBe(4); // three months and the default
    expect(await count(c, "unc_create_default")).toBe(200);
    expect(await count(c, "_tide.unconvert_changes")).toBe(0); // none recorded: nothing moved
    await c.query(`call tide.unconvert('unc_create', 100)`);
    expect(await count(c, "unc_create")).toBe(500);
  }, 60_000);
});

/** Waits until backend PID is waiting for a lock. */
async function waitingForLock(c: pg.Client, pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await c.query(`select wait_event_type = 'Lock' w from pg_stat_activity where pid = $1`, [pid]);
    if (r.rows[0]?.w) return;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`backend ${pid} never waited for a lock`);
}

async function pidOf(c: pg.Client): Promise<number> {
  return (await c.query<{ pid: number }>(`select pg_backend_pid() pid`)).rows[0]?.pid as number;
}

describe("a split or drain step and an unconvert that start at the same time", () => {
  it("a split batch that waited for the capture trigger's lock is undone, and the unconvert keeps every row", async () => {
    const c = await db.client();
    const u = await db.client();
    const s = await db.client();
    await converted(c, "race_split");
    await c.query(`insert into race_split (ts) select now() + interval '45 days' + i * interval '1 minute' from generate_series(1, 500) i`);
    const before = (await state(c, "race_split")) as Record<string, unknown>;
    await u.query("begin");
    await u.query(`select _tide.unconvert_start('race_split')`);
    const sPid = await pidOf(s);
    const step = s.query(`select * from _tide.convert_split_step('race_split', 300)`).then(() => null, (e: pg.DatabaseError) => e);
    await waitingForLock(c, sPid);
    await u.query("commit");
    const err = await step;
    expect(err?.code).toBe("55000");
    expect(err?.message).toMatch(/unconvert of table public\.race_split is in progress/);
    expect(err?.detail).toBeTruthy();
    expect(err?.hint).toBeTruthy();
    // all as it was, but the table the unconvert fills and maintenance, which it paused
    const after = (await state(c, "race_split")) as Record<string, unknown>;
    expect(after.loose_tables).toEqual(["race_split_unconverted"]);
    expect({ ...after, managed: null, loose_tables: null }).toEqual({ ...before, managed: null, loose_tables: null });
    expect(await count(c, "_tide.unconvert_changes")).toBe(0); // none recorded: nothing moved
    await c.query(`call tide.unconvert('race_split', 100)`);
    expect(await count(c, "race_split")).toBe(2500);
  }, 60_000);

  it("an unconvert start that waited for a first split step refuses and changes nothing", async () => {
    const c = await db.client();
    const u = await db.client();
    const s = await db.client();
    await converted(c, "race_unc");
    await c.query(`insert into race_unc (ts) select now() + interval '45 days' + i * interval '1 minute' from generate_series(1, 500) i`);
    await s.query("begin");
    await s.query(`select * from _tide.convert_split_step('race_unc', 300)`);
    const uPid = await pidOf(u);
    const start = u.query(`select _tide.unconvert_start('race_unc')`).then(() => null, (e: pg.DatabaseError) => e);
    await waitingForLock(c, uPid);
    await s.query("commit");
    const err = await start;
    expect(err?.code).toBe("55000");
    expect(err?.message).toMatch(/split_legacy of table public\.race_unc is in progress/);
    expect(err?.detail).toBeTruthy();
    expect(err?.hint).toBeTruthy();
    const left = await c.query(`select (select count(*) from _tide.unconverts where parent = 'race_unc'::regclass) as unconverts,
                                       to_regclass('race_unc_unconverted') is null as no_target,
                                       (select count(*) from pg_trigger where tgname = 'tide_unconvert_capture'
                                          and tgrelid in (select 'race_unc'::regclass union select inhrelid from pg_inherits where inhparent = 'race_unc'::regclass)) as triggers,
                                       (select enabled from _tide.managed_tables where parent = 'race_unc'::regclass) as enabled`);
    expect(left.rows[0]).toEqual({ unconverts: "0", no_target: true, triggers: "0", enabled: true });
    await c.query(`call tide.split_legacy('race_unc', 1000)`);
    await c.query(`call tide.unconvert('race_unc', 100)`);
    expect(await count(c, "race_unc")).toBe(2500);
  }, 60_000);
  it("a drain step that waited for the capture trigger's lock is undone, and the unconvert keeps every row", async () => {
    const c = await db.client();
    const u = await db.client();
    const d = await db.client();
    await c.query(`create table race_drain (id bigint generated always as identity, ts timestamptz not null, primary key (id, ts))
                     partition by range (ts)`);
    await c.query(`select tide.manage('race_drain', 'ts', '1 month', premake => 2)`);
    await c.query(`insert into race_drain (ts) select now() + i * interval '1 second' from generate_series(1, 300) i`);
    await c.query(`insert into race_drain (ts) select now() + interval '400 days' + i * interval '1 minute' from generate_series(1, 200) i`);
    await u.query("begin");
    await u.query(`select _tide.unconvert_start('race_drain')`);
    const dPid = await pidOf(d);
    const step = d.query(`select _tide.drain_default_step('race_drain', 50)`).then(() => null, (e: pg.DatabaseError) => e);
    await waitingForLock(c, dPid);
    await u.query("commit");
    const err = await step;
    expect(err?.code).toBe("55000");
    expect(err?.message).toMatch(/unconvert of table public\.race_drain is in progress/);
    expect(err?.detail).toBeTruthy();
    expect(err?.hint).toBeTruthy();
    expect(await count(c, "race_drain_default")).toBe(200);
    expect(await count(c, "pg_inherits where inhparent = 'race_drain'::regclass")).toBe(4); // three months and the default
    expect(await count(c, "_tide.unconvert_changes")).toBe(0); // none recorded: nothing moved
    await c.query(`call tide.unconvert('race_drain', 100)`);
    expect(await count(c, "race_drain")).toBe(500);
  }, 60_000);
});

describe("a split's expiry", () => {
  it("is the same in every session TimeZone: keep counts back in the table's zone, as retention does", async () => {
    const c = await db.client();
    await c.query(`create table tz_log (id bigint generated always as identity, ts timestamp not null, primary key (id, ts))`);
    // 51 rows on 2026-10-31: younger than keep (1 month) as of 2026-11-30 20:00 UTC
    await c.query(`insert into tz_log (ts) select timestamp '2026-10-31 00:00' + i * interval '20 minutes' from generate_series(0, 50) i`);
    await c.query(`insert into tz_log (ts) select timestamp '2026-11-15' + i * interval '1 hour' from generate_series(1, 10) i`);
    await c.query(`call tide.convert('tz_log', 'ts', '1 month', keep => '1 month', on_expire => 'drop')`);
    const actions: Record<string, string> = {};
    for (const zone of ["UTC", "Pacific/Kiritimati", "America/Los_Angeles"]) {
      await c.query("begin");
      await c.query(`set local timezone = '${zone}'`);
      const r = await c.query<{ action: string }>(`select action from _tide.convert_split_step('tz_log', 1000, '2026-11-30 20:00+00')`);
      actions[zone] = r.rows[0]?.action ?? "";
      await c.query("rollback");
    }
    expect(actions["UTC"]).toMatch(/^moved 51 rows/);
    expect(actions["Pacific/Kiritimati"]).toBe(actions["UTC"]);
    expect(actions["America/Los_Angeles"]).toBe(actions["UTC"]);
    // and a day later the interval has expired, in every zone
    for (const zone of ["UTC", "Pacific/Kiritimati"]) {
      await c.query("begin");
      await c.query(`set local timezone = '${zone}'`);
      const r = await c.query<{ action: string }>(`select action from _tide.convert_split_step('tz_log', 1000, '2026-12-01 00:00+00')`);
      expect(r.rows[0]?.action).toMatch(/^deleted \(expired\) 51 rows/);
      await c.query("rollback");
    }
  }, 60_000);
});
