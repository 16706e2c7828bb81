// The CLI commands that come from the feature modules (status, demo, archive, convert, …).
// Each entry only parses its own options and prints; the work is in the module it calls.
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type pg from "pg";
import type { Parsed } from "./cli.js";
import { renderStatus, renderStatusJson, status, statusExitCode, wantColor } from "./status.js";
import { renderMetrics } from "./metrics.js";
import { runDemo, DEMO_DEFAULT_ROWS } from "./demo.js";
import { createAuditLog } from "./audit.js";
import { startCluster } from "./cluster.js";
import { install } from "./install.js";
import { convertTable, splitLegacy } from "./convert.js";
import { archivePending, restoreArchive, type ArchiveResult } from "./archive/index.js";
import { Progress } from "./progress.js";
import { scheduleFromCronDatabase, unscheduleFromCronDatabase } from "./schedule.js";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  withClient: <T>(values: Parsed["values"], fn: (c: pg.Client) => Promise<T>) => Promise<T>;
  targetUrl: (values: Parsed["values"]) => string | undefined;
}

export interface Command {
  summary: string;
  run: (args: Parsed, io: Io) => Promise<number>;
}

/** Options of one subcommand, parsed from the raw argv after the command word. */
function options<T extends Record<string, { type: "string" | "boolean"; short?: string }>>(spec: T) {
  // positionals[0] is the command word itself
  const argv = process.argv.slice(2);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: { "database-url": { type: "string" }, json: { type: "boolean" }, ...spec },
  });
  return { values: values as Record<string, string | boolean | undefined>, positionals };
}

const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export const commands: Record<string, Command> = {
  metrics: {
    summary: "health and size figures in Prometheus text format (for a textfile collector)",
    async run(args, io) {
      const o = options({ "per-partition": { type: "boolean" } });
      return io.withClient(args.values, async (c) => {
        io.out(renderMetrics(await status(c), { perPartition: Boolean(o.values["per-partition"]) }));
        return 0;
      });
    },
  },
  status: {
    summary: "managed tables, partition timelines and health (exit 0 ok, 1 warning, 2 critical)",
    async run(args, io) {
      const o = options({ table: { type: "string" } });
      return io.withClient(args.values, async (c) => {
        const report = await status(c, { table: str(o.values.table) });
        io.out(
          args.values.json
            ? renderStatusJson(report)
            : renderStatus(report, { color: wantColor(), width: Math.min(process.stdout.columns ?? 100, 120) }),
        );
        return statusExitCode(report);
      });
    },
  },
  schedule: {
    summary: "schedule CALL tide.run_maintenance() with pg_cron (default every 10 minutes, GMT), from pg_cron's database when it is another",
    async run(args, io) {
      const cron = args.rest[0] ?? "*/10 * * * *";
      return io.withClient(args.values, async (c) => {
        const r = await scheduleFromCronDatabase(c, { cron, targetUrl: io.targetUrl(args.values), cronUrl: str(args.values["cron-database-url"]) });
        io.out(
          args.values.json
            ? JSON.stringify(r, null, 2)
            : `scheduled pg_cron job ${r.jobName} (jobid ${r.jobid}, ${cron}, GMT) in database ${r.cronDatabase}, running maintenance in ${r.targetDatabase}`,
        );
        return 0;
      });
    },
  },
  unschedule: {
    summary: "remove pgtide's pg_cron job",
    async run(args, io) {
      return io.withClient(args.values, async (c) => {
        const removed = await unscheduleFromCronDatabase(c, { targetUrl: io.targetUrl(args.values), cronUrl: str(args.values["cron-database-url"]) });
        io.out(
          args.values.json
            ? JSON.stringify({ removed }, null, 2)
            : removed
              ? "pgtide's pg_cron job removed"
              : "there was no pgtide pg_cron job for this database",
        );
        return 0;
      });
    },
  },
  demo: {
    summary: "local cluster in .pgtide/ + pgtide + the audit-log deployment with synthetic events",
    async run(args, io) {
      const o = options({ rows: { type: "string" }, dir: { type: "string" } });
      const dir = resolve(str(o.values.dir) ?? ".pgtide");
      let url = str(args.values["database-url"]);
      if (!url) {
        io.out(`starting the demo cluster in ${dir} …`);
        const cluster = await startCluster({ dir });
        url = cluster.url();
      }
      const rows = o.values.rows ? Number(o.values.rows) : DEMO_DEFAULT_ROWS;
      await runDemo({ url, rows });
      io.out(`\nstop it with  make demo-stop  (or  pgtide cluster stop --dir ${dir})`);
      return 0;
    },
  },
  "audit-log": {
    summary: "audit-log create: the reference audit_log table, roles and compatibility functions",
    async run(args, io) {
      if (args.rest[0] !== "create") {
        io.err("usage: pgtide audit-log create [--database-url URL]");
        return 64;
      }
      return io.withClient(args.values, async (c) => {
        await install(c);
        const r = await createAuditLog(c);
        io.out(args.values.json ? JSON.stringify(r, null, 2) : `audit_log is ready: ${JSON.stringify(r)}`);
        return 0;
      });
    },
  },
  convert: {
    summary: "convert TABLE CONTROL EVERY: plain table → managed partitioned table, no rewrite (--dry-run)",
    async run(args, io) {
      const o = options({
        "dry-run": { type: "boolean" },
        premake: { type: "string" },
        keep: { type: "string" },
        "on-expire": { type: "string" },
        "time-zone": { type: "string" },
        "no-default": { type: "boolean" },
        split: { type: "boolean" },
        "batch-rows": { type: "string" },
      });
      const [source, control, every] = o.positionals.slice(1);
      if (!source || !control || !every) {
        io.err("usage: pgtide convert TABLE CONTROL_COLUMN EVERY [--keep '24 months'] [--premake 4] [--dry-run] [--split]");
        return 64;
      }
      return io.withClient(args.values, async (c) => {
        const r = await convertTable(c, {
          source,
          control,
          every,
          premake: o.values.premake ? Number(o.values.premake) : undefined,
          keep: str(o.values.keep) ?? null,
          onExpire: str(o.values["on-expire"]) as "drop" | "detach" | "archive" | undefined,
          timeZone: str(o.values["time-zone"]),
          defaultPartition: !o.values["no-default"],
          dryRun: Boolean(o.values["dry-run"]),
          onNotice: (l) => io.out(l),
        });
        io.out(`${r.dryRun ? "dry run: nothing changed" : "converted"} in ${(r.wallMs / 1000).toFixed(2)} s`);
        if (!r.dryRun && o.values.split) {
          const bar = new Progress(`split ${source}`, null, Boolean(process.stderr.isTTY), io.out);
          const s = await splitLegacy(c, {
            parent: source,
            batchRows: o.values["batch-rows"] ? Number(o.values["batch-rows"]) : undefined,
            onProgress: (p) => bar.update(p.rowsDone, 0, p.rowsDone + p.rowsLeft),
          });
          bar.done(`${s.rowsDone} rows moved`);
        }
        return 0;
      });
    },
  },
  split: {
    summary: "split TABLE: move a converted table's legacy rows into proper partitions, with progress",
    async run(args, io) {
      const o = options({ "batch-rows": { type: "string" } });
      const parent = o.positionals[1];
      if (!parent) {
        io.err("usage: pgtide split TABLE [--batch-rows 10000]");
        return 64;
      }
      return io.withClient(args.values, async (c) => {
        const bar = new Progress(`split ${parent}`, null, Boolean(process.stderr.isTTY), io.out);
        const s = await splitLegacy(c, {
          parent,
          batchRows: o.values["batch-rows"] ? Number(o.values["batch-rows"]) : undefined,
          onProgress: (p) => bar.update(p.rowsDone, 0, p.rowsDone + p.rowsLeft),
        });
        bar.done(`${s.rowsDone} rows moved in ${(s.wallMs / 1000).toFixed(1)} s`);
        return 0;
      });
    },
  },
  archive: {
    summary: "export queued partitions to Parquet (file:// or s3://), verify, then let pgtide drop them (--watch)",
    async run(args, io) {
      const o = options({ target: { type: "string" }, watch: { type: "boolean" }, limit: { type: "string" }, "keep-partition": { type: "boolean" } });
      return io.withClient(args.values, async (c) => {
        const ac = new AbortController();
        process.once("SIGINT", () => ac.abort());
        process.once("SIGTERM", () => ac.abort());
        // every result is kept only for --json, which prints them all; otherwise whether one failed
        const all: ArchiveResult[] | null = args.values.json ? [] : null;
        let failed = false;
        await archivePending(c, {
          target: str(o.values.target),
          watch: Boolean(o.values.watch),
          limit: o.values.limit ? Number(o.values.limit) : undefined,
          keepPartition: Boolean(o.values["keep-partition"]),
          log: (l) => io.out(l),
          signal: ac.signal,
          onResult: (r) => { if (r.state === "failed") failed = true; all?.push(r); },
        });
        if (all) io.out(JSON.stringify(all, null, 2));
        return failed ? 1 : 0;
      });
    },
  },
  restore: {
    summary: "restore MANIFEST_OR_URI [--as TABLE] [--attach]: load an archived partition back, checksum verified",
    async run(args, io) {
      const o = options({ as: { type: "string" }, attach: { type: "boolean" } });
      const source = o.positionals[1];
      if (!source) {
        io.err("usage: pgtide restore MANIFEST_OR_URI [--as TABLE] [--attach]");
        return 64;
      }
      return io.withClient(args.values, async (c) => {
        const r = await restoreArchive(c, source, { as: str(o.values.as), attach: Boolean(o.values.attach), log: (l) => io.out(l) });
        io.out(args.values.json ? JSON.stringify(r, null, 2) : `restored ${r.rows} rows into ${r.table}${r.attached ? " (attached)" : ""}`);
        // --attach asked for a partition: a standalone table is not what was asked for
        return r.attachError ? 1 : 0;
      });
    },
  },
};
