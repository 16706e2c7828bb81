// tide.unconvert on real connections: convert then unconvert keeps every row, index, grant,
// default and comment; an application writing the whole time loses nothing; and an unconvert
// whose backend is terminated again and again resumes without losing or duplicating a row.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./db.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase({ prefix: "unconvert" });
});
afterAll(async () => db?.drop());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function fixture(c: pg.Client, table: string, rows: number): Promise<void> {
  await c.query(`create table ${table} (id bigserial, ts timestamptz not null default now(), actor text not null,
                   action text not null default 'read', payload jsonb, primary key (id, ts))`);
  await c.query(`create index ${table}_by_actor on ${table} (actor, ts)`);
  await c.query(`comment on table ${table} is 'the ${table}'`);
  await c.query(`comment on column ${table}.actor is 'who'`);
  await c.query(`grant select on ${table} to tide_monitor`);
  await c.query(`insert into ${table} (ts, actor, payload)
                 select now() - (i * interval '90 seconds'), 'user:' || (i % 97), jsonb_build_object('i', i)
                   from generate_series(1, $1::int) i`, [rows]);
}

async function checksum(c: pg.Client, table: string, where = "true"): Promise<string> {
  const r = await c.query<{ n: string; h: string }>(`select count(*) n, coalesce(sum(hashtext(t::text)), 0) h from ${table} t where ${where}`);
  return `${r.rows[0]?.n}/${r.rows[0]?.h}`;
}

async function shape(c: pg.Client, table: string) {
  const r = await c.query(`
    select c.relkind,
           (select array_agg(i.relname::text order by i.relname) from pg_index x join pg_class i on i.oid = x.indexrelid where x.indrelid = c.oid) as indexes,
           obj_description(c.oid, 'pg_class') as comment, col_description(c.oid, 3) as actor_comment,
           has_table_privilege('tide_monitor', c.oid, 'select') as monitor_reads,
           (select pg_get_expr(d.adbin, d.adrelid) from pg_attrdef d where d.adrelid = c.oid and d.adnum = 4) as action_default,
           exists (select from _tide.managed_tables m where m.parent = c.oid) as managed
      from pg_class c where c.oid = $1::regclass`, [table]);
  return r.rows[0];
}

/** An application session inserting (and updating its own rows) until stopped. */
function application(c: pg.Client, table: string) {
  const state = { running: true, inserted: new Set<string>(), updated: new Set<string>(), errors: [] as string[], maxMs: 0 };
  const done = (async () => {
    while (state.running) {
      const t0 = performance.now();
      try {
        const r = await c.query<{ id: string }>(`insert into ${table} (actor, action) values ('app', 'write') returning id`);
        const id = r.rows[0]?.id as string;
        state.inserted.add(id);
        if (state.inserted.size % 3 === 0) {
          await c.query(`update ${table} set action = 'updated' where id = $1 and actor = 'app'`, [id]);
          state.updated.add(id);
        }
      } catch (e) {
        state.errors.push((e as Error).message);
      }
      state.maxMs = Math.max(state.maxMs, performance.now() - t0);
      await sleep(3);
    }
  })();
  return { state, stop: async () => { state.running = false; await done; } };
}

async function appRowsIntact(c: pg.Client, table: string, st: { inserted: Set<string>; updated: Set<string> }) {
  const r = await c.query<{ id: string; action: string }>(`select id::text, action from ${table} where actor = 'app'`);
  const ids = r.rows.map((x) => x.id);
  expect(ids.length).toBe(st.inserted.size); // none lost, none duplicated
  expect(new Set(ids)).toEqual(st.inserted);
  for (const row of r.rows) expect(row.action).toBe(st.updated.has(row.id) ? "updated" : "write");
}

describe("tide.unconvert", () => {
  it("right after convert, detaches the legacy partition: every row, index, grant, default and comment kept, writes continue", async () => {
    const admin = await db.client();
    await fixture(admin, "fresh_log", 50_000);
    const before = await shape(admin, "fresh_log");
    const sum = await checksum(admin, "fresh_log");
    await admin.query(`call tide.convert('fresh_log', 'ts', '1 month', premake => 2)`);
    const app = application(await db.client(), "fresh_log");
    await sleep(100);
    const notices: string[] = [];
    admin.on("notice", (n) => notices.push(n.message ?? ""));
    await admin.query(`call tide.unconvert('fresh_log')`);
    await sleep(100);
    await app.stop();
    expect(app.state.errors).toEqual([]);
    expect(app.state.inserted.size).toBeGreaterThan(10);
    expect(app.state.maxMs).toBeLessThan(1000);
    expect(notices.some((n) => n.includes("is a plain table again"))).toBe(true);
    expect(await checksum(admin, "fresh_log", "actor <> 'app'")).toBe(sum);
    await appRowsIntact(admin, "fresh_log", app.state);
    expect(await shape(admin, "fresh_log")).toEqual({ ...before });
  }, 60_000);

  it("after split_legacy, copies while an application writes and is killed again and again: nothing lost or duplicated", async () => {
    const admin = await db.client();
    await fixture(admin, "split_log", 40_000); // ~42 days: several weekly partitions
    const before = await shape(admin, "split_log");
    const sum = await checksum(admin, "split_log");
    await admin.query(`call tide.convert('split_log', 'ts', '1 week', premake => 2)`);
    await admin.query(`call tide.split_legacy('split_log', 20000)`);
    expect(Number((await admin.query(`select count(*) n from pg_inherits where inhparent = 'split_log'::regclass`)).rows[0].n)).toBeGreaterThan(4);
    const app = application(await db.client(), "split_log");
    let kills = 0;
    let finished = false;
    const outcomes: string[] = [];
    for (let trial = 0; trial < 12 && !finished; trial++) {
      const worker = new pg.Client({ connectionString: db.url });
      await worker.connect();
      worker.on("error", () => undefined);
      const pid = (await worker.query<{ pid: number }>(`select pg_backend_pid() pid`)).rows[0]?.pid;
      const call = worker.query(`call tide.unconvert('split_log', 700)`).then(() => "finished", (e: Error) => e.message);
      await sleep(40 + Math.random() * 200);
      if (trial < 6 && (await admin.query<{ t: boolean }>(`select pg_terminate_backend($1) t`, [pid])).rows[0]?.t) kills++;
      const outcome = await call;
      await worker.end().catch(() => undefined);
      // a kill that lands after the last COMMIT, before the CALL returns, ends a finished unconvert
      // (the next CALL would say the table is not managed): the catalog tells, not the outcome
      const plain = await admin.query<{ done: boolean }>(
        `select c.relkind = 'r' and not exists (select from _tide.managed_tables m where m.parent = c.oid) as done
           from pg_class c where c.oid = 'split_log'::regclass`);
      finished = outcome === "finished" || plain.rows[0]?.done === true;
      if (!finished) outcomes.push(outcome);
      // while unfinished, the partitioned table itself still holds every row
      if (!finished) expect(await checksum(admin, "split_log", "actor <> 'app'")).toBe(sum);
    }
    await app.stop();
    expect(finished, outcomes.join("\n")).toBe(true);
    expect(kills).toBeGreaterThan(0);
    expect(app.state.errors).toEqual([]);
    expect(await checksum(admin, "split_log", "actor <> 'app'")).toBe(sum);
    await appRowsIntact(admin, "split_log", app.state);
    expect(await shape(admin, "split_log")).toEqual({ ...before });
    const left = await admin.query(`select (select count(*) from _tide.unconverts) + (select count(*) from _tide.unconvert_changes)
                                           + (select count(*) from pg_class where relname like 'split\\_log\\_%' and relkind = 'r') as n`);
    expect(Number(left.rows[0].n)).toBe(0);
    // the serial continues where the application left it
    const next = await admin.query<{ id: string }>(`insert into split_log (actor) values ('after') returning id`);
    expect(BigInt(next.rows[0]?.id as string)).toBeGreaterThan(BigInt(Math.max(...[...app.state.inserted].map(Number))));
  }, 120_000);

  it("refuses with the SQLSTATE and changes nothing when a foreign key points at the table", async () => {
    const c = await db.client();
    await fixture(c, "ref_log", 100);
    await c.query(`call tide.convert('ref_log', 'ts', '1 month')`);
    await c.query(`create table ref_child (rid bigint, rts timestamptz, foreign key (rid, rts) references ref_log)`);
    await expect(c.query(`call tide.unconvert('ref_log')`)).rejects.toMatchObject({ code: "55000" });
    const kind = await c.query(`select relkind from pg_class where oid = 'ref_log'::regclass`);
    expect(kind.rows[0]?.relkind).toBe("p");
  });
});
