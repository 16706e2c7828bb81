// bench/maintenance: pgtide's run_maintenance against pg_partman's, same cluster, same table
// shapes, measured side by side in one run. Prints wall times and ratios for 1, 10, 100 and 500
// managed tables (nothing due / one partition due per table), and the longest insert stall
// while a long reader holds the parent open. A third family of tables of the same shape measures
// the floor any implementation of Rule 1 pays when work is due: the three DDL statements (CREATE
// TABLE LIKE with the bounds CHECK, ATTACH, DROP CONSTRAINT) and a COMMIT per table, nothing else;
// pg_partman's time over that floor is the best ratio any Rule-1 implementation could reach.
// pg_partman runs two ways: run_maintenance(), every table in one transaction (every lock it takes
// held to the end of the run), and run_maintenance_proc(), its procedure committing after each
// table, as pgtide does.
// Each case is timed twice: on the tool's long-lived connection, and in a new session per run, as
// pg_cron runs every job (connection setup itself is not timed: the same for every tool).
//
//   make bench-maintenance            (or: node dist/bench/maintenance.js --tables 1,10,100 --reader-seconds 3)
import pg from "pg";
import { parseArgs } from "node:util";
import { startCluster, stopCluster } from "../installer/cluster.js";
import { addTables, CHURNED, PREMAKE, prepareDatabase } from "./tables.js";

const { values } = parseArgs({
  options: {
    tables: { type: "string", default: "1,10,100,500" },
    "reader-seconds": { type: "string", default: "3" },
    repeat: { type: "string", default: "3" },
  },
});
const COUNTS = String(values.tables).split(",").map(Number);
const READER_MS = Number(values["reader-seconds"]) * 1000;
const REPEAT = Number(values.repeat);
const SCRATCH_TABLES = 2000;
// Each due run raises premake by one day, twice per repeat (long-lived and new session; four times
// for pg_partman's tables, run both ways); every size starts again from PREMAKE. pg_partman 4.7 counts its premade daily partitions with age(),
// in which a month is 30 days: once the window reaches a month ahead it makes one partition too
// many (or, across February, too few), which the bench's own check then rejects. Keep it shorter.
const MAX_PREMAKE = 27;
if (!Number.isInteger(REPEAT) || REPEAT < 1 || PREMAKE + 4 * REPEAT > MAX_PREMAKE) {
  console.error(`--repeat must be a whole number from 1 to ${Math.floor((MAX_PREMAKE - PREMAKE) / 4)}: each repeat makes four more days due on pg_partman's tables,` +
                ` and pg_partman miscounts a premade window of a month or more (it takes a month as 30 days)`);
  process.exit(2);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** One statement timed in a session of its own, as pg_cron runs a job; connecting is not timed. */
async function timedFresh(url: string, run: (c: pg.Client) => Promise<unknown>): Promise<number> {
  const s = new pg.Client({ connectionString: url });
  await s.connect();
  try {
    await s.query("select 1");
    return await timed(() => run(s));
  } finally {
    await s.end();
  }
}

/**
 * Back to the window setup made, for every table of all three kinds: the partitions past
 * current_date + PREMAKE dropped, premake PREMAKE again in both tools' configurations.
 */
async function resetWindow(c: pg.Client, n: number): Promise<void> {
  for (const prefix of ["bench_tide", "bench_pm", "bench_floor"]) {
    for (let i = 0; i < n; i++) {
      const r = await c.query<{ parts: string | null }>(
        `select string_agg(k.oid::regclass::text, ', ') as parts
           from pg_inherits h join pg_class k on k.oid = h.inhrelid
          where h.inhparent = $1::regclass and k.relname ~ '[0-9]{4}_[0-9]{2}_[0-9]{2}$'
            and to_date(right(k.relname, 10), 'YYYY_MM_DD') > current_date + $2::int`,
        [`${prefix}_${i}`, PREMAKE],
      );
      if (r.rows[0]?.parts) await c.query(`drop table ${r.rows[0].parts}`);
    }
  }
  await c.query(`update tide.config set premake = $1 where parent in (select ('bench_tide_' || g)::regclass from generate_series(0, $2 - 1) g) and premake <> $1`, [PREMAKE, n]);
  await c.query(`update partman.part_config set premake = $1 where parent_table in (select 'public.bench_pm_' || g from generate_series(0, $2 - 1) g) and premake <> $1`, [PREMAKE, n]);
}

/** Partitions (default excluded) of every table of one kind: the bench checks each run did its work. */
async function partitionCount(c: pg.Client, prefix: string, n: number): Promise<number> {
  const r = await c.query<{ n: string }>(
    `select count(*) as n from pg_inherits i join pg_class k on k.oid = i.inhrelid
      where i.inhparent in (select ($1 || '_' || g)::regclass from generate_series(0, $2 - 1) g)
        and pg_get_expr(k.relpartbound, k.oid) <> 'DEFAULT'`,
    [prefix, n],
  );
  return Number(r.rows[0]!.n);
}

async function expectCreated(c: pg.Client, prefix: string, n: number, before: number, what: string): Promise<void> {
  const after = await partitionCount(c, prefix, n);
  if (after - before !== n) throw new Error(`bench is invalid: ${what} created ${after - before} partitions, expected ${n}`);
}

const runTide = (c: pg.Client) => c.query(`call tide.run_maintenance()`);
const runPartman = (c: pg.Client) => c.query(`select partman.run_maintenance(p_analyze := false, p_jobmon := false)`);
const runPartmanProc = (c: pg.Client) => c.query(`call partman.run_maintenance_proc(p_analyze := false, p_jobmon := false)`);

/**
 * Make exactly one partition due on every table of one kind: raise premake by one in each
 * tool's own configuration (both read it on their next run).
 */
async function makeOneDue(c: pg.Client, prefix: string, n: number): Promise<void> {
  if (prefix === "bench_tide") {
    await c.query(`update tide.config set premake = premake + 1 where parent in (select ('bench_tide_' || g)::regclass from generate_series(0, $1 - 1) g)`, [n]);
  } else {
    await c.query(`update partman.part_config set premake = premake + 1 where parent_table in (select 'public.bench_pm_' || g from generate_series(0, $1 - 1) g)`, [n]);
  }
}


type Prepare = (c: pg.Client) => Promise<unknown>;

/** While a reader holds the parent open for READER_MS, run maintenance with work due; time inserts meanwhile. */
async function insertStall(url: string, c: pg.Client, table: string, maintain: (c: pg.Client) => Promise<unknown>, prepare: Prepare) {
  await prepare(c);
  const reader = new pg.Client({ connectionString: url });
  const writer = new pg.Client({ connectionString: url });
  const runner = new pg.Client({ connectionString: url });
  await Promise.all([reader.connect(), writer.connect(), runner.connect()]);
  let max = 0;
  let n = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await writer.query(`insert into ${table} (at, device, reading, note) values (now(), 1, 1.5, 'x')`);
      max = Math.max(max, performance.now() - t0);
      n++;
      await sleep(20);
    }
  })();
  await sleep(100);
  await reader.query("begin");
  await reader.query(`select count(*) from ${table}`);
  const t0 = performance.now();
  const maintenance = maintain(runner).then(() => performance.now() - t0);
  await sleep(READER_MS);
  await reader.query("commit");
  const took = await maintenance;
  await sleep(100);
  running = false;
  await loop;
  await Promise.all([reader.end(), writer.end(), runner.end()]);
  return { maxStallMs: max, inserts: n, maintenanceMs: took };
}

async function main(): Promise<void> {
  const cluster = await startCluster({ fast: true });
  const url = cluster.url();
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    process.stderr.write(`installing and ageing the catalogs with ${SCRATCH_TABLES} scratch tables...\n`);
    await prepareDatabase(c, SCRATCH_TABLES);
    const versions = await c.query<{ v: string }>(`select extversion as v from pg_extension where extname = 'pg_partman'`);
    console.log(`pgtide vs pg_partman ${versions.rows[0]?.v} — PostgreSQL ${(await c.query("show server_version")).rows[0].server_version}, one cluster, daily partitions, premake 4, default partitions on both`);
    console.log(`median of ${REPEAT} runs; ratio = pg_partman time / pgtide time (higher is better for pgtide)\n`);
    // each tool runs on a connection of its own, as under its own scheduler: no tool's session
    // state (plans, caches, invalidations to process) is shared with another's
    const [ct, cp, cf] = [0, 1, 2].map(() => new pg.Client({ connectionString: url })) as [pg.Client, pg.Client, pg.Client];
    await Promise.all([ct.connect(), cp.connect(), cf.connect()]);
    for (const x of [ct, cp, cf]) x.on("error", () => undefined);  // the cluster stops under them at the end
    console.log(`Rule-1 floor = the same three DDL statements and a COMMIT per table and nothing else (same shape, same partition count);`);
    console.log(`ceiling = pg_partman time / floor: the best ratio any implementation of Rule 1 could show`);
    console.log(`"in a new session": each run in a session of its own, as pg_cron runs a job (connecting not timed)\n`);
    console.log(`pg_partman: run_maintenance(), all tables in one transaction; proc: run_maintenance_proc(), a commit after each table as pgtide\n`);
    const rows: string[][] = [["tables", "case", "pgtide ms", "pg_partman ms", "ratio", "proc ms", "ratio proc", "Rule-1 floor ms", "ceiling", "ceiling proc"]];
    let have = 0;
    const fmtRatio = (a: number[], b: number[]) => (median(a) / median(b)).toFixed(1) + "×";
    // one tool's run, timed on its own long-lived connection or in a new session
    const timer = (fresh: boolean) => (x: pg.Client, f: (s: pg.Client) => Promise<unknown>) =>
      fresh ? timedFresh(url, f) : timed(() => f(x));
    for (const n of COUNTS) {
      process.stderr.write(`setting up ${n} tables of each kind...\n`);
      await addTables(c, have, n);
      have = n;
      // every size starts from the same premade window (see MAX_PREMAKE)
      await resetWindow(c, n);
      let floorDay = PREMAKE + 1;
      await runTide(ct);
      await runPartman(cp);
      // setup churned the catalogs: vacuum and analyze them now, so that autovacuum does not start
      // on them (and invalidate cached plans) in the middle of the timed runs of either tool
      await c.query(`vacuum analyze ${CHURNED.join(", ")}`);
      const settledT = await partitionCount(c, "bench_tide", n);
      const settledP = await partitionCount(c, "bench_pm", n);
      const [idleT, idleP, idleQ, idleTs, idlePs, idleQs]: number[][] = [[], [], [], [], [], []];
      // the runs on long-lived connections first, as in a quiet database; then the new sessions
      for (const [fresh, outT, outP, outQ] of [[false, idleT, idleP, idleQ], [true, idleTs, idlePs, idleQs]] as const) {
        const run = timer(fresh);
        for (let r = 0; r < REPEAT; r++) {
          outT!.push(await run(ct, runTide));
          outP!.push(await run(cp, runPartman));
          outQ!.push(await run(cp, runPartmanProc));
        }
      }
      if ((await partitionCount(c, "bench_tide", n)) !== settledT || (await partitionCount(c, "bench_pm", n)) !== settledP) {
        throw new Error("bench is invalid: a run with nothing due created partitions");
      }
      rows.push([String(n), "nothing due", median(idleT!).toFixed(1), median(idleP!).toFixed(1), fmtRatio(idleP!, idleT!),
                 median(idleQ!).toFixed(1), fmtRatio(idleQ!, idleT!), "", "", ""]);
      rows.push(["", "  in a new session", median(idleTs!).toFixed(1), median(idlePs!).toFixed(1), fmtRatio(idlePs!, idleTs!),
                 median(idleQs!).toFixed(1), fmtRatio(idleQs!, idleTs!), "", "", ""]);
      const [dueT, dueP, dueQ, dueF, dueTs, duePs, dueQs, dueFs]: number[][] = [[], [], [], [], [], [], [], []];
      // one partition due on every table, run by each tool: on its own connection, or in a new session
      const dueRun = async (fresh: boolean, out: number[][]) => {
        const run = timer(fresh);
        await makeOneDue(c, "bench_tide", n);
        let before = await partitionCount(c, "bench_tide", n);
        out[0]!.push(await run(ct, runTide));
        await expectCreated(c, "bench_tide", n, before, "pgtide");
        await makeOneDue(c, "bench_pm", n);
        before = await partitionCount(c, "bench_pm", n);
        out[1]!.push(await run(cp, runPartman));
        await expectCreated(c, "bench_pm", n, before, "pg_partman");
        await makeOneDue(c, "bench_pm", n);
        before = await partitionCount(c, "bench_pm", n);
        out[2]!.push(await run(cp, runPartmanProc));
        await expectCreated(c, "bench_pm", n, before, "pg_partman's run_maintenance_proc");
        before = await partitionCount(c, "bench_floor", n);
        const day = floorDay++;
        out[3]!.push(await run(cf, (x) => x.query(`call public.bench_floor_create(0, $1, current_date + $2::int)`, [n, day])));
        await expectCreated(c, "bench_floor", n, before, "the Rule-1 floor");
      };
      for (let r = 0; r < REPEAT; r++) await dueRun(false, [dueT!, dueP!, dueQ!, dueF!]);
      for (let r = 0; r < REPEAT; r++) await dueRun(true, [dueTs!, duePs!, dueQs!, dueFs!]);
      for (const [label, t, p, q, f] of [["1 partition due per table", dueT, dueP, dueQ, dueF], ["  in a new session", dueTs, duePs, dueQs, dueFs]] as const) {
        rows.push([label.startsWith(" ") ? "" : String(n), label, median(t!).toFixed(1), median(p!).toFixed(1), fmtRatio(p!, t!),
                   median(q!).toFixed(1), fmtRatio(q!, t!), median(f!).toFixed(1), fmtRatio(p!, f!), fmtRatio(q!, f!)]);
      }
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));

    const lock = await c.query<{ ms: string }>(`select (extract(epoch from lock_timeout) * 1000)::int as ms from _tide.managed_tables limit 1`);
    console.log(`\nlongest insert stall while a ${READER_MS / 1000}s reader holds the parent open (one insert every 20 ms into the current partition):`);
    const scenarios: [string, Prepare, Prepare][] = [
      ["one partition to create", (x) => makeOneDue(x, "bench_tide", 1), (x) => makeOneDue(x, "bench_pm", 1)],
      [
        "one partition to drop (retention)",
        (x) => x.query(`update tide.config set keep = '3 days' where parent = 'bench_tide_0'::regclass`),
        (x) => x.query(`update partman.part_config set retention = '3 days', retention_keep_table = false where parent_table = 'public.bench_pm_0'`),
      ],
    ];
    for (const [label, prepTide, prepPm] of scenarios) {
      process.stderr.write(`reader scenario: ${label}...\n`);
      const tide = await insertStall(url, c, "bench_tide_0", runTide, prepTide);
      const pm = await insertStall(url, c, "bench_pm_0", runPartman, prepPm);
      console.log(`  ${label}:`);
      console.log(`    pgtide     ${tide.maxStallMs.toFixed(1).padStart(8)} ms  (lock_timeout ${lock.rows[0]?.ms} ms; maintenance returned after ${tide.maintenanceMs.toFixed(0)} ms)`);
      console.log(`    pg_partman ${pm.maxStallMs.toFixed(1).padStart(8)} ms  (maintenance returned after ${pm.maintenanceMs.toFixed(0)} ms)`);
      console.log(`    ratio      ${(pm.maxStallMs / tide.maxStallMs).toFixed(1)}× (pg_partman stall / pgtide stall)`);
    }
    await Promise.all([ct.end(), cp.end(), cf.end()]);
  } finally {
    await c.end();
    await stopCluster(cluster.dir);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
