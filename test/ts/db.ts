// Test databases: each test file (or test) gets a database cloned from the template the
// global setup built with the real installer, and drops it afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export function adminUrl(): string {
  return inject("adminUrl");
}

export function urlFor(database: string): string {
  const u = new URL(adminUrl());
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
}

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
  const c = new pg.Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    return await c.query<R>(sql, params);
  } finally {
    await c.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  /** A new connected client (closed by drop() if still open). */
  client(): Promise<pg.Client>;
  drop(): Promise<void>;
}

/**
 * A new database. From the pgtide template (installed, with pgTAP) unless `empty`, in which
 * case it is a bare database from template0 with nothing installed.
 */
export async function freshDatabase(opts: { empty?: boolean; prefix?: string } = {}): Promise<TestDatabase> {
  const name = `pgtide_t_${opts.prefix ?? "db"}_${randomBytes(4).toString("hex")}`;
  const template = opts.empty ? "template0" : inject("template");
  // CREATE DATABASE … TEMPLATE fails while another session is connected to the template; retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`create database "${name}" template "${template}"`);
      break;
    } catch (e) {
      if (attempt > 50 || (e as { code?: string }).code !== "55006") throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const clients: pg.Client[] = [];
  const url = urlFor(name);
  return {
    name,
    url,
    async client() {
      const c = new pg.Client({ connectionString: url, application_name: "pgtide-test" });
      await c.connect();
      c.on("error", () => undefined);
      clients.push(c);
      return c;
    },
    async drop() {
      await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
      await adminQuery(`drop database if exists "${name}" with (force)`);
    },
  };
}
