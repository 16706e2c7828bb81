// Rule 2 when the server has a synchronous standby that does not answer: a commit made with
// synchronous_commit on waits for the standby while it still holds its locks, so a maintenance
// commit after a DROP would keep every query on the parent queued for as long as the standby lags.
// pgtide's procedures commit with synchronous_commit off (docs/engine.md, "Commits"): each of them
// must finish here, on a cluster of its own whose synchronous standby never connects.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster, stopCluster, type Cluster } from "../../installer/cluster.js";
import { install } from "../../installer/install.js";

let cluster: Cluster;
const sessions: pg.Client[] = [];

async function session(): Promise<{ c: pg.Client; notices: string[] }> {
  const c = new pg.Client({ connectionString: cluster.url() });
  c.on("error", () => undefined);  // the cluster stops under sessions still waiting
  const notices: string[] = [];
  c.on("notice", (n) => notices.push(`${n.severity}: ${n.message}`));
  await c.connect();
  sessions.push(c);
  return { c, notices };
}

/** The statement's result, or a failure naming it when it has not returned within `ms`. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not return within ${ms} ms: a commit is waiting for the synchronous standby`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const partitions = async (c: pg.Client, parent: string) =>
  (await c.query<{ n: string }>(`select inhrelid::regclass::text as n from pg_inherits where inhparent = $1::regclass order by 1`, [parent]))
    .rows.map((r) => r.n);

beforeAll(async () => {
  // commits wait for flush and standby unless a transaction says otherwise, as on a production server
  cluster = await startCluster({ fast: true, settings: { synchronous_commit: "on" } });
  const { c } = await session();
  await install(c);
  await c.query(`create table ss_events (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
  await c.query(`select tide.manage('ss_events', 'at', '1 day', premake => 2, keep => '3 days', start_at => '2030-01-01')`);
  await c.query(`insert into ss_events (at, note) select '2030-01-01'::timestamptz + g * interval '1 hour', 'x' from generate_series(0, 47) g`);
  await c.query(`create table ss_default (id bigint generated always as identity, at timestamptz not null, note text) partition by range (at)`);
  await c.query(`select tide.manage('ss_default', 'at', '1 day', premake => 1, start_at => '2030-01-01')`);
  // rows past the premade window land in the default partition, for drain_default to move
  await c.query(`insert into ss_default (at, note) select '2030-01-05'::timestamptz + g * interval '1 hour', 'late' from generate_series(0, 23) g`);
  await c.query(`create table ss_plain (id bigint not null, at timestamptz not null, note text, primary key (id, at))`);
  await c.query(`insert into ss_plain select g, now() - g * interval '1 hour', 'old' from generate_series(1, 500) g`);
  // from here on, every commit made with synchronous_commit on waits for a standby that never comes
  await c.query(`alter system set synchronous_standby_names = 'pgtide_ghost_standby'`);
  await c.query(`select pg_reload_conf()`);
  for (let i = 0; ; i++) {
    const { c: probe } = await session();
    const r = await probe.query<{ s: string }>(`select current_setting($1) as s`, ["synchronous_standby_names"]);
    await probe.end();
    if (r.rows[0]?.s === "pgtide_ghost_standby") break;
    if (i > 50) throw new Error(`the server did not take synchronous_standby_names: ${JSON.stringify(r.rows)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
  if (cluster) await stopCluster(cluster.dir);
});

describe("a synchronous standby that does not answer", () => {
  it("makes an ordinary commit wait (the control: this server really waits)", async () => {
    const { c, notices } = await session();
    const pid = (await c.query<{ p: number }>(`select pg_backend_pid() as p`)).rows[0]!.p;
    let returned = false;
    const insert = c.query(`insert into ss_events (at, note) values ('2030-01-02 06:00+00', 'control')`).finally(() => { returned = true; });
    await new Promise((r) => setTimeout(r, 1500));
    expect(returned).toBe(false);  // still in its commit, holding its locks
    // a cancel ends the wait: a WARNING, and the row stays committed locally
    const { c: admin } = await session();
    await admin.query(`select pg_cancel_backend($1)`, [pid]);
    await within(10_000, "the cancelled control insert", insert);
    expect(notices.join("\n")).toMatch(/synchronous replication/);
  });

  it("does not hold up run_maintenance: it creates and drops partitions, and every commit returns", async () => {
    const { c, notices } = await session();
    const before = await partitions(c, "ss_events");
    expect(before).toContain("ss_events_2030_01_01");
    await within(30_000, "CALL tide.run_maintenance", c.query(`call tide.run_maintenance(as_of => '2030-01-10 12:00+00')`));
    const after = await partitions(c, "ss_events");
    expect(after).toContain("ss_events_2030_01_12");  // created ahead
    expect(after).not.toContain("ss_events_2030_01_01");  // dropped by retention (keep 3 days)
    const log = await c.query<{ n: number }>(`select count(*)::int as n from _tide.log where outcome <> 'ok'`);
    expect(log.rows[0]?.n).toBe(0);
    expect(notices.join("\n")).not.toMatch(/synchronous replication/);
    // the application's queries on the parent run at once: no lock is left held by a waiting commit
    const { c: app } = await session();
    await app.query(`set lock_timeout = '200ms'`);
    await app.query(`set synchronous_commit = local`);
    await within(5_000, "a query on the parent", app.query(`select count(*) from ss_events`));
  });

  it("does not hold up drain_default, convert, split_legacy or unconvert", async () => {
    const { c, notices } = await session();
    await within(30_000, "CALL tide.drain_default", c.query(`call tide.drain_default('ss_default')`));
    expect((await c.query(`select count(*)::int as n from only ss_default_default`)).rows[0]?.n).toBe(0);
    expect((await c.query(`select count(*)::int as n from ss_default`)).rows[0]?.n).toBe(24);

    await within(60_000, "CALL tide.convert", c.query(`call tide.convert('ss_plain', 'at', '1 day')`));
    expect((await c.query(`select count(*)::int as n from _tide.managed_tables where parent = 'ss_plain'::regclass`)).rows[0]?.n).toBe(1);
    await within(60_000, "CALL tide.split_legacy", c.query(`call tide.split_legacy('ss_plain', 100)`));
    expect((await c.query(`select count(*)::int as n from ss_plain`)).rows[0]?.n).toBe(500);
    await within(60_000, "CALL tide.unconvert", c.query(`call tide.unconvert('ss_plain', 100)`));
    const plain = await c.query<{ k: string }>(`select relkind::text as k from pg_class where oid = 'ss_plain'::regclass`);
    expect(plain.rows[0]?.k).toBe("r");
    expect((await c.query(`select count(*)::int as n from ss_plain`)).rows[0]?.n).toBe(500);
    expect(notices.join("\n")).not.toMatch(/synchronous replication/);
  });
});
