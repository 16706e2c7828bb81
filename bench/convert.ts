// bench/convert: a 5-million-row audit-log-shaped table turned into a partitioned table by
// tide.convert, and an identical table by the seeds' copy method (rename, create partitioned,
// INSERT … SELECT, verify), side by side in one run on one throwaway cluster, while an application
// session inserts every 10 ms into each. Prints wall time to a usable table, the longest insert
// stall and the extra disk each needed, and the ratios. Usage: node dist/bench/convert.js [--rows N]
import pg from "pg";
import { parseArgs } from "node:util";
import { startCluster, stopCluster } from "../installer/cluster.js";
import { install } from "../installer/install.js";
import { convertTable } from "../installer/convert.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SHAPE = `(id bigint generated always as identity, ts timestamptz not null, principal_id text not null,
  action text not null, resource text, status text not null, ip inet, payload jsonb, primary key (id, ts))`;

async function load(c: pg.Client, table: string, rows: number): Promise<void> {
  await c.query(`create table ${table} ${SHAPE}`);
  // 5M rows over ~24 months, newest now
  await c.query(`insert into ${table} (ts, principal_id, action, resource, status, ip, payload)
    select now() - (i * (interval '730 days' / $1::int)), 'user:' || (i % 5000), 'document.read', 'doc/' || (i % 100000),
           'success', '10.0.0.1', jsonb_build_object('n', i % 1000)
      from generate_series(1, $1::int) i`, [rows]);
  await c.query(`create index ${table}_ts on ${table} (ts)`);
  await c.query(`create index ${table}_principal on ${table} (principal_id, ts)`);
  await c.query(`vacuum analyze ${table}`);
}

/** Insert a row every 10 ms through `table` until stopped; the slowest round trip and failures. */
function app(url: string, table: string) {
  const c = new pg.Client({ connectionString: url });
  const stats = { count: 0, max: 0, errors: 0 };
  let running = true;
  const done = (async () => {
    await c.connect();
    while (running) {
      const t0 = performance.now();
      try {
        await c.query(`insert into ${table} (ts, principal_id, action, status) values (now(), 'app', 'write', 'success')`);
        stats.count++;
      } catch {
        stats.errors++;
      }
      stats.max = Math.max(stats.max, performance.now() - t0);
      await sleep(10);
    }
    await c.end();
  })();
  return { stats, stop: async () => { running = false; await done; } };
}

async function dbBytes(c: pg.Client): Promise<number> {
  await c.query(`checkpoint`);
  const r = await c.query<{ b: string }>(`select pg_database_size(current_database()) b`);
  return Number(r.rows[0]?.b);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: "string", default: "5000000" } } });
  const rows = Number(values.rows);
  const cluster = await startCluster({ fast: true, settings: { max_wal_size: "'4GB'" } });
  try {
    const admin = new pg.Client({ connectionString: cluster.url() });
    await admin.connect();
    await admin.query(`create database bench_convert`);
    await admin.end();
    const url = cluster.url("bench_convert");
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await install(c);
    console.log(`loading 2 × ${rows.toLocaleString()} rows …`);
    await load(c, "log_tide", rows);
    await load(c, "log_copy", rows);
    const tableBytes = Number((await c.query<{ b: string }>(`select pg_total_relation_size('log_tide') b`)).rows[0]?.b);

    // tide.convert
    let base = await dbBytes(c);
    let a = app(url, "log_tide");
    await sleep(200);
    const tTide = (await convertTable(c, { source: "log_tide", control: "ts", every: "1 month", premake: 4 })).wallMs;
    await sleep(200);
    await a.stop();
    const tideStats = { ...a.stats };
    const tideExtra = (await dbBytes(c)) - base;

    // the copy method
    base = await dbBytes(c);
    a = app(url, "log_copy");
    await sleep(200);
    const t0 = performance.now();
    await c.query(`begin`);
    await c.query(`alter table log_copy rename to log_copy_old`);
    await c.query(`create table log_copy (like log_copy_old including defaults including identity) partition by range (ts)`);
    await c.query(`alter table log_copy add primary key (id, ts)`);
    await c.query(`create index on log_copy (ts)`);
    await c.query(`create index on log_copy (principal_id, ts)`);
    await c.query(`create table log_copy_default partition of log_copy default`);
    await c.query(`select tide.manage('log_copy', 'ts', '1 month', premake => 4, start_at => (now() - interval '731 days')::text)`);
    await c.query(`insert into log_copy overriding system value select * from log_copy_old`);
    await c.query(`select setval(pg_get_serial_sequence('log_copy', 'id'), (select max(id) from log_copy_old))`);
    const v = await c.query<{ a: string; b: string }>(`select (select count(*) from log_copy) a, (select count(*) from log_copy_old) b`);
    if (v.rows[0]?.a !== v.rows[0]?.b) throw new Error("copy method: counts differ");
    await c.query(`commit`);
    const tCopy = performance.now() - t0;
    await sleep(200);
    await a.stop();
    const copyStats = { ...a.stats };
    const copyExtra = (await dbBytes(c)) - base;
    await c.end();

    const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
    const pct = (b: number) => `${((100 * Math.max(b, 0)) / tableBytes).toFixed(1)}%`;
    console.log(`\ntable: ${rows.toLocaleString()} rows, ${mb(tableBytes)} with indexes`);
    console.log(`                      tide.convert     copy method`);
    console.log(`wall time to usable   ${(tTide / 1000).toFixed(2).padStart(8)} s   ${(tCopy / 1000).toFixed(2).padStart(10)} s`);
    console.log(`longest insert stall  ${tideStats.max.toFixed(0).padStart(8)} ms  ${copyStats.max.toFixed(0).padStart(10)} ms`);
    console.log(`failed inserts        ${String(tideStats.errors).padStart(8)}     ${String(copyStats.errors).padStart(10)}`);
    console.log(`extra disk            ${mb(tideExtra).padStart(11)} (${pct(tideExtra)})  ${mb(copyExtra)} (${pct(copyExtra)})`);
    console.log(`\nratios: ${(tCopy / tTide).toFixed(1)}× faster to usable (target ≥ 20×), stall ${(copyStats.max / Math.max(tideStats.max, 1)).toFixed(1)}× shorter (target < 200 ms: ${tideStats.max < 200 ? "met" : "MISSED"}), extra disk ${pct(tideExtra)} of the table (target < 5%: ${tideExtra / tableBytes < 0.05 ? "met" : "MISSED"})`);
  } finally {
    await stopCluster(cluster.dir);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
