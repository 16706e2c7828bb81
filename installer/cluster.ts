// The throwaway local PostgreSQL 15 cluster that tests, benchmarks and the demo run on:
// initdb into a folder of its own, its own port and socket, pg_cron preloaded.
// There is no Docker engine on the project's machines, so this is the default database.
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chownSync, appendFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const PG_BIN = process.env.PGTIDE_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export interface Cluster {
  dir: string;
  port: number;
  host: string;
  user: string;
  url(database?: string): string;
}

export interface StartOptions {
  /** Folder for the data directory, socket and log; a fresh temp folder when omitted. */
  dir?: string;
  port?: number;
  /** Extra postgresql.conf lines. */
  settings?: Record<string, string | number>;
  /** Trade durability for speed (tests and benchmarks). */
  fast?: boolean;
}

export interface RunAs {
  uid?: number;
  gid?: number;
}

/** PostgreSQL refuses to run as root; when we are root, run its binaries as `postgres`. */
export function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    return { uid, gid };
  } catch {
    throw new Error(
      "pgtide: running as root, and PostgreSQL will not run as root: create a 'postgres' user " +
        "(the Debian package postgresql-15 does) or run as an ordinary user",
    );
  }
}

function run(cmd: string, args: string[], opts: RunAs & { quiet?: boolean } = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(PG_BIN, cmd), args, {
      uid: opts.uid,
      gid: opts.gid,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LC_ALL: "C.UTF-8", LANG: "C.UTF-8" },
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${out}`));
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

function chownTree(path: string, who: RunAs): void {
  if (who.uid === undefined || who.gid === undefined) return;
  chownSync(path, who.uid, who.gid);
}

function clusterOf(dir: string, port: number): Cluster {
  return {
    dir,
    port,
    host: "127.0.0.1",
    user: "postgres",
    url(database = "postgres") {
      return `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    },
  };
}

const STATE_FILE = "pgtide-cluster.json";

/** The cluster already running in `dir`, if any. */
export function runningCluster(dir: string): Cluster | undefined {
  const stateFile = join(dir, STATE_FILE);
  if (!existsSync(stateFile) || !existsSync(join(dir, "data", "postmaster.pid"))) return undefined;
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as { port: number };
  return clusterOf(dir, state.port);
}

/** initdb (when needed) and start a cluster; resolves once it accepts connections. */
export async function startCluster(options: StartOptions = {}): Promise<Cluster> {
  const who = runAs();
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), "pgtide-")));
  mkdirSync(dir, { recursive: true });
  chownTree(dir, who);
  const already = runningCluster(dir);
  if (already) return already;

  const data = join(dir, "data");
  const port = options.port ?? (await freePort());
  if (!existsSync(join(data, "PG_VERSION"))) {
    await run("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], who);
  }
  const settings: Record<string, string | number> = {
    port,
    listen_addresses: "'127.0.0.1'",
    unix_socket_directories: `'${dir}'`,
    shared_preload_libraries: "'pg_cron'",
    "cron.database_name": "'postgres'",
    max_connections: 200,
    max_locks_per_transaction: 256,
    logging_collector: "off",
    ...(options.fast ? { fsync: "off", synchronous_commit: "off", full_page_writes: "off" } : {}),
    ...options.settings,
  };
  const conf = Object.entries(settings)
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n");
  writeFileSync(join(data, "pgtide.conf"), conf + "\n");
  chownTree(join(data, "pgtide.conf"), who);
  const main = readFileSync(join(data, "postgresql.conf"), "utf8");
  if (!main.includes("include_if_exists = 'pgtide.conf'")) {
    appendFileSync(join(data, "postgresql.conf"), "\ninclude_if_exists = 'pgtide.conf'\n");
  }
  await run("pg_ctl", ["-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", "start"], who);
  writeFileSync(join(dir, STATE_FILE), JSON.stringify({ port }) + "\n");
  return clusterOf(dir, port);
}

/**
 * Stop the cluster in `dir` (immediate shutdown unless `clean`: a shutdown checkpoint, so that the
 * next start replays nothing) and, unless `keep`, remove the folder.
 */
export async function stopCluster(dir: string, opts: { keep?: boolean; clean?: boolean } = {}): Promise<void> {
  const who = runAs();
  const data = join(dir, "data");
  if (existsSync(join(data, "postmaster.pid"))) {
    await run("pg_ctl", ["-D", data, "-m", opts.clean ? "fast" : "immediate", "-w", "-t", "60", "stop"], who).catch(() => undefined);
  }
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
}

/** Synchronous stop, for process-exit handlers where nothing async runs any more. */
export function stopClusterSync(dir: string): void {
  const who = runAs();
  const data = join(dir, "data");
  try {
    if (existsSync(join(data, "postmaster.pid"))) {
      execFileSync(join(PG_BIN, "pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"], {
        uid: who.uid,
        gid: who.gid,
        stdio: "ignore",
      });
    }
  } catch {
    /* already stopped */
  }
  rmSync(dir, { recursive: true, force: true });
}
