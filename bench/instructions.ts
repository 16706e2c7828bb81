// bench/instructions: the machine-independent side of bench/maintenance. The same three table
// families (pgtide, pg_partman, the Rule-1 floor), one partition due on every table, and for each
// tool the user-space instructions of its maintenance run counted by valgrind (callgrind) in a
// single-user backend — the same count on any run of the same build, whatever else the machine is
// doing. Per run = (count of 4 runs - count of 1 run) / 3, so that starting the backend, loading
// and compiling the tools' code and the first run's planning fall out; the settings change that
// makes the work due (premake + 1) is counted the same way without the runs and taken off. A
// second table gives the first run of a new backend (one run's session less the same session
// without the run), which is what every pg_cron job costs. What it does not count:
// the kernel's work (creating each partition's files, the same for all three), waits, and other
// backends (pg_cron's sessions each start fresh, as here).
//
//   make bench-instructions           (or: node dist/bench/instructions.js --tables 1,10,100)
import pg from "pg";
import { spawn, execFileSync } from "node:child_process";
import { join } from "node:path";
import { copyFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { PG_BIN, runAs, startCluster, stopCluster } from "../installer/cluster.js";
import { addTables, CHURNED, prepareDatabase } from "./tables.js";

const { values } = parseArgs({ options: { tables: { type: "string", default: "1,10,100" }, profile: { type: "string" },
                                                   tools: { type: "string", default: "pgtide,pg_partman,pg_partman_proc,floor" } } });
const COUNTS = String(values.tables).split(",").map(Number);

try {
  execFileSync("valgrind", ["--version"], { stdio: "ignore" });
} catch {
  console.error("bench/instructions needs valgrind (Debian package valgrind): apt-get install valgrind");
  process.exit(2);
}

// pg_partman two ways: run_maintenance(), every table in one transaction, and
// run_maintenance_proc(), a commit after each table as pgtide makes (pg_partman's own procedure for
// that: it calls run_maintenance for one table at a time)
type Tool = "pgtide" | "pg_partman" | "pg_partman_proc" | "floor";
const TOOLS = String(values.tools).split(",") as Tool[];
if (TOOLS.some((t) => !["pgtide", "pg_partman", "pg_partman_proc", "floor"].includes(t))) {
  console.error("--tools takes a comma-separated list of pgtide, pg_partman, pg_partman_proc, floor");
  process.exit(2);
}

/**
 * K due runs of one tool, as single-user input (one statement per line); with MAINTAIN false only the
 * settings changes that make the work due, counted on their own and taken off (they are not part of
 * a maintenance run, and tide.config's trigger validates each change where part_config is a plain table).
 */
function runs(tool: Tool, n: number, k: number, firstDay: number, maintain = true): string {
  const lines: string[] = [];
  for (let r = 0; r < k; r++) {
    if (tool === "pgtide") {
      lines.push("update tide.config set premake = premake + 1;");
      if (maintain) lines.push("call tide.run_maintenance();");
    }
    if (tool === "pg_partman" || tool === "pg_partman_proc") {
      lines.push("update partman.part_config set premake = premake + 1;");
      if (maintain) lines.push(tool === "pg_partman" ? "select partman.run_maintenance(p_analyze := false, p_jobmon := false);"
                                                     : "call partman.run_maintenance_proc(p_analyze := false, p_jobmon := false);");
    }
    if (tool === "floor" && maintain) lines.push(`call public.bench_floor_create(0, ${n}, current_date + ${firstDay + r});`);
  }
  return lines.join("\n") + "\n";
}

/**
 * pgtide records a table's failure and goes on, so a run that failed would count as a cheap one:
 * after each counted session, a session of its own (not counted) checks that its last K runs
 * created one partition per table each.
 */
function checkRuns(n: number, k: number): string {
  return `do $$ begin if (select count(*) filter (where l.action = 'create' and l.outcome = 'ok') <> ${n * k} or bool_or(l.outcome <> 'ok')` +
         ` from _tide.log l where l.run_id > (select max(r.run_id) - ${k} from _tide.runs r)) then` +
         ` raise exception 'pgtide did not create one partition per table and run'` +
         ` using hint = 'Read _tide.log. A run that crosses midnight (UTC) makes two partitions due: run the bench again.'; end if; end $$;\n`;
}

/** Instructions of a single-user backend on DATABASE running INPUT (COUNT false: run it, count nothing); fails on any ERROR. */
function callgrind(data: string, database: string, input: string, scratch: string, count = true): Promise<number> {
  const who = runAs();
  const backend = [join(PG_BIN, "postgres"), "--single", "-D", data, "-c", "shared_preload_libraries=", database];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(count ? "valgrind" : backend[0]!,
                        count ? ["--tool=callgrind", `--callgrind-out-file=${join(scratch, "callgrind.out")}`, ...backend] : backend.slice(1),
                        { uid: who.uid, gid: who.gid, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.stdin.end(input);
    child.on("error", reject);
    child.on("close", () => {
      const m = /Collected : (\d+)/.exec(out);
      if (/\bERROR:/.test(out) || (count && !m)) reject(new Error(`single-user run on ${database} failed:\n${out.slice(-2000)}`));
      else resolvePromise(m ? Number(m[1]) : 0);
    });
  });
}

async function main(): Promise<void> {
  const cluster = await startCluster({ fast: true });
  const data = join(cluster.dir, "data");
  const admin = new pg.Client({ connectionString: cluster.url() });
  await admin.connect();
  try {
    // one database per size, set up as bench/maintenance does, each tool run once (settled)
    for (const n of COUNTS) {
      process.stderr.write(`setting up ${n} tables of each kind...\n`);
      await admin.query(`create database bench_${n}`);
      const c = new pg.Client({ connectionString: cluster.url(`bench_${n}`) });
      await c.connect();
      await prepareDatabase(c, 2000);
      await addTables(c, 0, n);
      await c.query(`call tide.run_maintenance()`);
      await c.query(`select partman.run_maintenance(p_analyze := false, p_jobmon := false)`);
      await c.query(`vacuum analyze ${CHURNED.join(", ")}`);
      await c.end();
      // a copy per tool, so that no tool's runs grow the catalogs another is counted on
      for (const t of TOOLS) await admin.query(`create database "bench_${n}_${t}" template bench_${n}`);
    }
  } finally {
    await admin.end();
  }
  await stopCluster(cluster.dir, { keep: true, clean: true });
  try {
    console.log(`user-space instructions per maintenance run (valgrind callgrind, single-user backend), one partition due on every table`);
    console.log(`ratio = pg_partman / pgtide; ceiling = pg_partman / floor (the best any Rule-1 implementation could show)`);
    console.log(`pg_partman: run_maintenance(), every table in one transaction; proc: run_maintenance_proc(), a commit after each table as pgtide\n`);
    const head = ["tables", "pgtide M", "pg_partman M", "proc M", "floor M", "ratio", "ratio proc", "ceiling", "ceiling proc"];
    const rows = [head];
    const fresh = [head];
    for (const n of COUNTS) {
      const per: Record<Tool, number> = { pgtide: 0, pg_partman: 0, pg_partman_proc: 0, floor: 0 };
      const first: Record<Tool, number> = { pgtide: 0, pg_partman: 0, pg_partman_proc: 0, floor: 0 };
      for (const t of TOOLS) {
        process.stderr.write(`counting ${t} at ${n} tables...\n`);
        const db = `bench_${n}_${t}`;
        const one = await callgrind(data, db, runs(t, n, 1, 5), cluster.dir);
        if (t === "pgtide") await callgrind(data, db, checkRuns(n, 1), cluster.dir, false);
        const four = await callgrind(data, db, runs(t, n, 4, 6), cluster.dir);
        // --profile DIR keeps each four-run count for callgrind_annotate (tool_tables.out)
        if (values.profile) copyFileSync(join(cluster.dir, "callgrind.out"), join(String(values.profile), `${t}_${n}.out`));
        if (t === "pgtide") await callgrind(data, db, checkRuns(n, 4), cluster.dir, false);
        const changesOne = await callgrind(data, db, runs(t, n, 1, 5, false), cluster.dir);
        const changesFour = await callgrind(data, db, runs(t, n, 4, 6, false), cluster.dir);
        per[t] = (four - one - (changesFour - changesOne)) / 3 / 1e6;
        // the first run of a backend, as pg_cron runs every job: the session of one run less the
        // same session without the run (starting the backend, the settings change)
        first[t] = (one - changesOne) / 1e6;
      }
      const m = (x: number) => (x ? x.toFixed(1) : "-");  // a tool left out with --tools
      const r = (a: number, b: number) => (a && b ? (a / b).toFixed(2) + "×" : "-");
      for (const [out, x] of [[rows, per], [fresh, first]] as const) {
        out.push([String(n), m(x.pgtide), m(x.pg_partman), m(x.pg_partman_proc), m(x.floor), r(x.pg_partman, x.pgtide),
                  r(x.pg_partman_proc, x.pgtide), r(x.pg_partman, x.floor), r(x.pg_partman_proc, x.floor)]);
      }
    }
    const print = (table: string[][]) => {
      const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
      for (const r of table) console.log(r.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
    };
    print(rows);
    console.log(`\nthe first run in a new backend, as pg_cron runs every job (compiling and planning each tool's code included):\n`);
    print(fresh);
  } finally {
    await stopCluster(cluster.dir);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
