#!/usr/bin/env node
// The `pgtide` command: parses arguments, calls the library, prints, sets the exit code.
// No decisions are made here — TypeScript orchestrates, SQL decides.
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import type pg from "pg";
import { connect, describeError } from "./connection.js";
import { install, plan, uninstall } from "./install.js";
import { doctor } from "./doctor.js";
import { PreflightError, preflight } from "./preflight.js";
import { runningCluster, startCluster, stopCluster } from "./cluster.js";
import { productVersion } from "./sources.js";
import { commands as extraCommands } from "./commands.js";

const USAGE = `pgtide ${productVersion()} — partition lifecycle manager for PostgreSQL

usage: pgtide <command> [options]

commands:
  install            install or upgrade pgtide in a database (idempotent)
  uninstall          remove schemas tide and _tide and the pg_cron job; your tables and rows stay
  plan               print the SQL that install would run, touching nothing
  doctor             compare the live catalog with this version (missing, altered, stray objects)
  preflight          check a database before installing
  cluster start|stop|url
                     a local PostgreSQL 15 cluster with pg_cron, kept in .pgtide/ (for trying pgtide)
${Object.entries(extraCommands)
  .map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`)
  .join("\n")}

options:
  --database-url URL connection string (default: $DATABASE_URL, then the PG* variables)
  --json             machine-readable output
  --force            install: re-apply every function even when the source is unchanged
  --cron-database-url URL
                     schedule, unschedule, uninstall: pg_cron's database, when this role may not
                     read cron.database_name to find it (default: this URL with that database)
  --keep-cron-job    uninstall: leave pgtide's pg_cron job (to remove by hand) instead of refusing
                     when it cannot be removed from here
  --dir DIR          cluster: folder of the local cluster (default .pgtide)
  -h, --help         this text
`;

export interface Parsed {
  command: string;
  rest: string[];
  values: Record<string, string | boolean | undefined>;
}

function parse(argv: string[]): Parsed {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: false,
    options: {
      "database-url": { type: "string" },
      json: { type: "boolean" },
      force: { type: "boolean" },
      dir: { type: "string" },
      help: { type: "boolean", short: "h" },
      yes: { type: "boolean" },
      offline: { type: "boolean" },
      "cron-database-url": { type: "string" },
      "keep-cron-job": { type: "boolean" },
    },
  });
  return { command: positionals[0] ?? "help", rest: positionals.slice(1), values: values as Parsed["values"] };
}

const out = (s: string) => process.stdout.write(s.endsWith("\n") ? s : s + "\n");
const err = (s: string) => process.stderr.write(s.endsWith("\n") ? s : s + "\n");

/** The URL this invocation connects to, when one was given (needed to reach pg_cron's database). */
export function targetUrl(values: Parsed["values"]): string | undefined {
  return (values["database-url"] as string | undefined) ?? process.env.DATABASE_URL;
}

export async function withClient<T>(values: Parsed["values"], fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect({ databaseUrl: values["database-url"] as string | undefined });
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  const { command, values } = args;
  const json = Boolean(values.json);
  if (values.help || command === "help") {
    out(USAGE);
    return 0;
  }
  switch (command) {
    case "install":
      return withClient(values, async (c) => {
        const r = await install(c, { force: Boolean(values.force), log: json ? undefined : (l) => out(`  ${l}`) });
        if (json) out(JSON.stringify(r, null, 2));
        else {
          for (const chk of r.preflight.checks) out(`  ${chk.level === "ok" ? "✓" : "!"} ${chk.name}: ${chk.message}`);
          out(
            r.codeApplied
              ? `pgtide ${r.version} installed${r.previousVersion ? ` (was ${r.previousVersion})` : ""} in database ${r.preflight.facts.database}`
              : `pgtide ${r.version} is already installed in database ${r.preflight.facts.database}; nothing changed`,
          );
          for (const n of r.notes) out(`  note: ${n}`);
        }
        return 0;
      });
    case "uninstall":
      return withClient(values, async (c) => {
        const r = await uninstall(c, {
          log: json ? undefined : (l) => out(`  ${l}`),
          targetUrl: targetUrl(values),
          cronUrl: values["cron-database-url"] as string | undefined,
          keepCronJob: Boolean(values["keep-cron-job"]),
        });
        if (json) out(JSON.stringify(r, null, 2));
        else {
          out(`pgtide removed.${r.unscheduled ? " Its pg_cron job was unscheduled." : ""}`);
          if (r.keptTables.length) out(`These tables stay, with every partition and row: ${r.keptTables.join(", ")}`);
          for (const n of r.notes) out(`  note: ${n}`);
        }
        return 0;
      });
    case "plan": {
      if (values.offline) {
        out(await plan(null));
        return 0;
      }
      return withClient(values, async (c) => {
        out(await plan(c));
        return 0;
      });
    }
    case "preflight":
      return withClient(values, async (c) => {
        const r = await preflight(c);
        if (json) out(JSON.stringify(r, null, 2));
        else for (const chk of r.checks) out(`${chk.level.padEnd(7)} ${chk.name}: ${chk.message}`);
        return r.ok ? 0 : 2;
      });
    case "doctor":
      return withClient(values, async (c) => {
        const r = await doctor(c);
        if (json) out(JSON.stringify(r, null, 2));
        else if (r.findings.length === 0) out(`pgtide ${r.installedVersion}: the catalog matches this version; nothing to report`);
        else for (const f of r.findings) out(`${f.level.padEnd(8)} ${f.check}: ${f.message}\n         hint: ${f.hint}`);
        return r.findings.some((f) => f.level === "critical") ? 2 : r.findings.length ? 1 : 0;
      });
    case "cluster": {
      const dir = resolve((values.dir as string | undefined) ?? ".pgtide");
      const sub = args.rest[0] ?? "url";
      if (sub === "start") {
        const c = await startCluster({ dir });
        out(json ? JSON.stringify({ dir: c.dir, port: c.port, url: c.url() }) : `cluster running in ${c.dir}\n  psql "${c.url()}"`);
        return 0;
      }
      if (sub === "stop") {
        await stopCluster(dir, { keep: false });
        out(`cluster in ${dir} stopped and removed`);
        return 0;
      }
      const c = runningCluster(dir);
      if (!c) {
        err(`no cluster is running in ${dir}; start one with  pgtide cluster start`);
        return 1;
      }
      out(c.url());
      return 0;
    }
    default: {
      const extra = extraCommands[command];
      if (extra) return extra.run(args, { out, err, withClient, targetUrl });
      err(`pgtide: unknown command '${command}'\n`);
      err(USAGE);
      return 64;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof PreflightError) err(e.message);
    else err(`pgtide: ${describeError(e)}`);
    // --json: the refusal as JSON on stdout too, for the machine that asked for it
    if (process.argv.includes("--json")) {
      const x = (e ?? {}) as { code?: unknown; message?: string; detail?: string; hint?: string; report?: unknown };
      out(JSON.stringify({ error: {
        sqlstate: typeof x.code === "string" && /^[0-9A-Z]{5}$/.test(x.code) ? x.code : null,
        message: x.message ?? String(e), detail: x.detail ?? null, hint: x.hint ?? null,
        ...(e instanceof PreflightError ? { preflight: x.report } : {}),
      } }, null, 2));
    }
    process.exitCode = 2;
  },
);
