// `pgtide demo` / `make demo`: the audit database of the seed documents, end to end, on any database
// the caller points it at (the CLI starts the local cluster first). Safe to run twice: every step is
// idempotent, and events already loaded are kept rather than loaded again.
import pg from "pg";
import { install } from "./install.js";
import { createAuditLog, generateAuditEvents, monthStartBefore } from "./audit.js";
import { renderStatus, status, wantColor } from "./status.js";

/** Default demo size: loads, maintains and reports in well under 3 minutes on 2 cores (about 65 s for the load). */
export const DEMO_DEFAULT_ROWS = 2_000_000;
export const DEMO_MONTHS = 26;

export interface DemoOptions {
  /** Connection string of the database to build the demo in. */
  url: string;
  /** Events to generate (default DEMO_DEFAULT_ROWS). */
  rows?: number;
  /** Where lines go (default: stdout). */
  log?: (line: string) => void;
  /** Draw a progress bar that redraws in place (default: when stdout is a TTY and `log` is not given). */
  progressBar?: boolean;
  /** Time the demo treats as now (default: now); events span the DEMO_MONTHS months before it. */
  asOf?: Date;
  /** Install or upgrade pgtide first (default true; false when the caller just did). */
  install?: boolean;
}

export interface DemoResult {
  /** Events in audit_log at the end. */
  rows: number;
  /** False when audit_log already held events and the load was skipped. */
  loaded: boolean;
  /** Partitions retired by the maintenance run (the months older than 24 months). */
  retired: string[];
  /** Partitions of audit_log at the end, default included. */
  partitions: number;
  /** What the 90-day query touches, and what the unfiltered one touches. */
  scanned90Days: string[];
  scannedAll: string[];
  psql: string;
  seconds: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

function bar(fraction: number, width = 30): string {
  const full = Math.round(fraction * width);
  return "█".repeat(full) + "░".repeat(width - full);
}

/** The 90-day query the demo explains; bounded above by now() so the premade future months are pruned too. */
export const LAST_90_DAYS_QUERY = `select count(*) from public.audit_log where "timestamp" >= now() - interval '90 days' and "timestamp" < now()`;
export const UNFILTERED_QUERY = "select count(*) from public.audit_log";

export async function runDemo(opts: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const out = opts.log ?? ((line: string) => void process.stdout.write(line + "\n"));
  const drawBar = opts.progressBar ?? (opts.log === undefined && Boolean(process.stdout.isTTY));
  const rows = opts.rows ?? DEMO_DEFAULT_ROWS;
  const asOf = opts.asOf ?? new Date();
  const client = new pg.Client({ connectionString: opts.url, application_name: "pgtide-demo" });
  await client.connect();
  try {
    out("pgtide demo: the append-only audit log, partitioned by month, 24 months online");
    out("");

    out("1. Install pgtide (schemas tide and _tide)");
    if (opts.install === false) {
      out("   already installed by the caller");
    } else {
      const inst = await install(client, {});
      out(
        inst.codeApplied
          ? `   pgtide ${inst.version} installed`
          : `   pgtide ${inst.version} is already installed; nothing changed`,
      );
    }

    const startAt = monthStartBefore(asOf, DEMO_MONTHS);
    out("2. Create audit_log (examples/audit_log/*.sql): table, 15 indexes, roles audit_writer / audit_reader,");
    out("   append-only trigger, managed by tide.manage(every => '1 month', premake => 4, keep => '24 months')");
    const made = await createAuditLog(client, { startAt });
    out(
      made.created
        ? `   created with ${made.partitions} partitions from ${startAt.toISOString().slice(0, 7)} to 4 months ahead, plus the default`
        : `   audit_log already exists (${made.partitions} partitions); left as it is`,
    );

    const have = await client.query<{ n: string }>("select count(*) as n from (select 1 from audit_log limit 1) s");
    let loaded = false;
    if (Number(have.rows[0]?.n ?? 0) > 0) {
      out("3. audit_log already holds events: the load is skipped (drop the database to start over)");
    } else {
      out(`3. Load ${fmt(rows)} synthetic events over the last ${DEMO_MONTHS} months with COPY FROM STDIN`);
      let lastTenth = -1;
      const t0 = Date.now();
      const res = await generateAuditEvents(client, {
        rows,
        months: DEMO_MONTHS,
        asOf,
        onProgress: (done, total) => {
          const f = total === 0 ? 1 : done / total;
          const secs = (Date.now() - t0) / 1000;
          if (drawBar) {
            process.stdout.write(`\r   ${bar(f)} ${(f * 100).toFixed(0).padStart(3)}%  ${fmt(done)} rows  ${secs.toFixed(0)} s `);
          } else if (Math.floor(f * 10) > lastTenth) {
            lastTenth = Math.floor(f * 10);
            out(`   ${(f * 100).toFixed(0).padStart(3)}%  ${fmt(done)} rows  ${secs.toFixed(1)} s`);
          }
        },
      });
      if (drawBar) process.stdout.write("\n");
      out(`   loaded ${fmt(res.rows)} events in ${res.seconds.toFixed(1)} s (${fmt(Math.round(res.rows / Math.max(res.seconds, 0.001)))} rows/s)`);
      const a0 = Date.now();
      // A small sample per partition is plenty for row estimates and keeps the demo fast;
      // autovacuum refines the statistics later.
      await client.query("set default_statistics_target = 10");
      await client.query("analyze audit_log");
      await client.query("reset default_statistics_target");
      out(`   analyzed in ${((Date.now() - a0) / 1000).toFixed(1)} s, so row estimates are current`);
      loaded = true;
    }

    out("4. Maintenance, as pg_cron runs it every 10 minutes:  CALL tide.run_maintenance();");
    const lastRun = await client.query<{ id: string | null }>("select max(run_id) as id from _tide.runs");
    const before = lastRun.rows[0]?.id ?? "0";
    await client.query("call tide.run_maintenance()");
    const acts = await client.query<{ action: string; partition: string | null; outcome: string; message: string | null }>(
      `select action, partition, outcome, message from tide.maintenance_log
        where run_id > $1::bigint order by logged_at, action`,
      [before],
    );
    const retired: string[] = [];
    for (const a of acts.rows) {
      if (a.action === "run") {
        out(`   run: ${a.outcome} (${a.message ?? ""})`);
      } else if (a.partition === null) {
        out(`   ${a.action}: ${a.outcome}${a.message ? ` (${a.message})` : ""}`);
      } else {
        out(`   ${a.action.padEnd(8)} ${a.partition.padEnd(26)} ${a.outcome}${a.message ? `  ${a.message}` : ""}`);
        if (/drop|detach|expire|archive/.test(a.action) && a.outcome === "ok" && a.partition) retired.push(a.partition);
      }
    }
    if (acts.rows.length <= 1) out("   nothing was due");
    // From now on pg_cron does it: schedule the job (an upsert, so a second demo changes nothing).
    try {
      const job = await client.query<{ id: string }>("select tide.schedule() as id");
      out(`   scheduled with pg_cron every 10 minutes: select tide.schedule();  (job ${job.rows[0]?.id ?? "?"})`);
    } catch (e) {
      const hint = (e as { hint?: string }).hint;
      out(`   not scheduled here: ${(e as Error).message}${hint ? `\n   hint: ${hint}` : ""}`);
    }

    out("5. Status (pgtide status)");
    const report = await status(client, { table: "audit_log" });
    const color = opts.log === undefined && wantColor(process.stdout);
    for (const line of renderStatus(report, { color, width: Math.min(process.stdout.columns ?? 100, 120) }).split("\n")) {
      out(`   ${line}`);
    }

    out("6. Pruning: which partitions a query touches (tide.partitions_scanned)");
    const scanned = async (q: string) =>
      (await client.query<{ p: string }>("select s.partition::text as p from tide.partitions_scanned($1) s order by s.partition::text", [q])).rows.map((r) => r.p);
    const recent = await scanned(LAST_90_DAYS_QUERY);
    const all = await scanned(UNFILTERED_QUERY);
    const count = await client.query<{ n: string; parts: number }>(
      "select (select count(*) from audit_log) as n, (select count(*)::int from pg_inherits where inhparent = 'audit_log'::regclass) as parts",
    );
    const total = Number(count.rows[0]?.n ?? 0);
    const partitions = count.rows[0]?.parts ?? 0;
    out(`   ${LAST_90_DAYS_QUERY}`);
    out(`     touches ${recent.length} of ${partitions} partitions: ${recent.join(", ")}`);
    out(`   ${UNFILTERED_QUERY}`);
    out(`     touches ${all.length} of ${partitions} partitions (${all[0] ?? ""} … ${all[all.length - 1] ?? ""})`);

    const psql = `psql "${opts.url}"`;
    out("");
    out(`${fmt(total)} events online. Explore further:`);
    out(`   ${psql}`);
    out("   then try:  select * from tide.tables;  select * from tide.health;");
    out("              select * from get_audit_partition_stats();  select * from tide.maintenance_log limit 20;");
    out(`              select * from tide.partitions_scanned($$${LAST_90_DAYS_QUERY}$$);`);
    return {
      rows: total,
      loaded,
      retired,
      partitions,
      scanned90Days: recent,
      scannedAll: all,
      psql,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await client.end();
  }
}
