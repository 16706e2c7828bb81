// Brings up the database the whole suite runs on and builds the template every test
// database is cloned from, with the real installer. Three backends, in this order:
// PGTIDE_TEST_DATABASE_URL (any server), a testcontainers PostgreSQL when a Docker engine
// answers (or PGTIDE_TEST_BACKEND=docker), else a throwaway local cluster (the default here).
import { execFileSync } from "node:child_process";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startCluster, stopCluster, stopClusterSync } from "../installer/cluster.js";
import { install } from "../installer/install.js";

export const TEMPLATE = "pgtide_template";

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    template: string;
    backend: string;
  }
}

function dockerAnswers(): boolean {
  if (process.env.PGTIDE_TEST_BACKEND === "local") return false;
  try {
    execFileSync("docker", ["info", "--format", "{{.ServerVersion}}"], { stdio: "ignore", timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(db);
  return u.toString();
}

async function buildTemplate(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname like 'pgtide\\_t\\_%' or datname = $1`, [TEMPLATE]);
    const stale = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'pgtide\\_t\\_%' or datname = $1`, [TEMPLATE]);
    for (const r of stale.rows) await admin.query(`drop database if exists "${r.datname}"`);
    await admin.query(`create database ${TEMPLATE}`);
    // pg_cron lives in its own database (cron.database_name = 'postgres'); made here, once, as the
    // test files that need it would otherwise race to create it
    await admin.query("create extension if not exists pg_cron");
  } finally {
    await admin.end();
  }
  const c = new pg.Client({ connectionString: withDatabase(adminUrl, TEMPLATE) });
  await c.connect();
  try {
    await install(c, { createCronExtension: false });
    await c.query("create extension if not exists pgtap");
  } finally {
    await c.end();
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl: string;
  let backend: string;
  let teardown: () => Promise<void> = async () => undefined;

  if (process.env.PGTIDE_TEST_DATABASE_URL) {
    adminUrl = process.env.PGTIDE_TEST_DATABASE_URL;
    backend = "url";
    // a server we did not start: leave nothing of ours behind on it
    teardown = async () => {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      try {
        const left = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'pgtide\\_t\\_%' or datname = $1`, [TEMPLATE]);
        for (const r of left.rows) await admin.query(`drop database if exists "${r.datname}" with (force)`);
      } finally {
        await admin.end();
      }
    };
  } else if (process.env.PGTIDE_TEST_BACKEND === "docker" || dockerAnswers()) {
    const { startContainer } = await import("./container.js");
    const c = await startContainer();
    adminUrl = c.url;
    backend = "docker";
    teardown = c.stop;
  } else {
    const cluster = await startCluster({ fast: true });
    adminUrl = cluster.url();
    backend = "local";
    const onExit = () => stopClusterSync(cluster.dir);
    process.once("exit", onExit);
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      process.once(sig, () => {
        onExit();
        process.exit(130);
      });
    }
    teardown = async () => {
      process.removeListener("exit", onExit);
      await stopCluster(cluster.dir);
    };
  }
  try {
    await buildTemplate(adminUrl);
  } catch (e) {
    await teardown();
    throw e;
  }
  project.provide("adminUrl", adminUrl);
  project.provide("template", TEMPLATE);
  project.provide("backend", backend);
  return teardown;
}
