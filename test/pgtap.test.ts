// Runs every pgTAP file in test/sql/: each file is loaded into its own database cloned from
// the installed template, and each of its `tests.test_*` functions becomes one vitest test,
// run through pgTAP's runtests() (which rolls back after each). Failing assertions show their
// TAP diagnostics in the vitest output.
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type TestDatabase } from "./ts/db.js";
import type pg from "pg";

const run = promisify(execFile);
const SQL_DIR = join(import.meta.dirname, "sql");
const only = process.env.PGTAP_FILE;

const files = readdirSync(SQL_DIR)
  .filter((f) => f.endsWith(".sql"))
  .filter((f) => !only || f.includes(only))
  .sort();

/** The test functions a file defines, in file order. */
function testFunctions(sql: string): string[] {
  const names = [...sql.matchAll(/create\s+(?:or\s+replace\s+)?function\s+tests\.(test_[a-z0-9_]+)\s*\(/gi)].map(
    (m) => (m[1] as string).toLowerCase(),
  );
  return [...new Set(names)];
}

interface TapResult {
  ok: number;
  failed: string[];
  output: string;
}

export function parseTap(lines: string[]): TapResult {
  let ok = 0;
  const failed: string[] = [];
  for (const raw of lines) {
    const line = raw.trimStart();
    if (/^not ok \d+/.test(line)) {
      if (!/# TODO/.test(line)) failed.push(line);
    } else if (/^ok \d+/.test(line)) ok++;
  }
  return { ok, failed, output: lines.join("\n") };
}

describe.concurrent("pgTAP", () => {
  for (const file of files) {
    const sql = readFileSync(join(SQL_DIR, file), "utf8");
    const fns = testFunctions(sql);
    describe.sequential(file, () => {
      let db: TestDatabase;
      let client: pg.Client;
      beforeAll(async () => {
        db = await freshDatabase({ prefix: file.replace(/\W+/g, "_").slice(0, 30) });
        client = await db.client();
        await client.query("create schema if not exists tests");
        try {
          await run("psql", [db.url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", join(SQL_DIR, file)], {
            env: { ...process.env, PGOPTIONS: "--client-min-messages=warning" },
          });
        } catch (e) {
          const err = e as { stderr?: string; message: string };
          throw new Error(`loading ${file} failed:\n${err.stderr ?? err.message}`);
        }
      });
      afterAll(async () => {
        await db?.drop();
      });
      const tooLong = fns.filter((f) => Buffer.byteLength(f) > 63);
      if (tooLong.length > 0) {
        it("names its test functions within 63 bytes (PostgreSQL truncates longer names)", () => {
          expect(tooLong).toEqual([]);
        });
      }
      if (fns.length === 0) {
        it("defines at least one tests.test_* function", () => {
          expect(fns.length).toBeGreaterThan(0);
        });
      }
      for (const fn of fns) {
        it(fn, async () => {
          const r = await client.query<{ runtests: string }>(`select * from runtests('tests'::name, $1)`, [`^${fn}$`]);
          const tap = parseTap(r.rows.map((x) => x.runtests));
          if (tap.failed.length > 0 || tap.ok === 0) {
            throw new Error(
              `${fn}: ${tap.failed.length} failed, ${tap.ok} passed${tap.ok === 0 && tap.failed.length === 0 ? " (no assertion ran)" : ""}\n${tap.output}`,
            );
          }
          expect(tap.ok).toBeGreaterThan(0);
        });
      }
    });
  }
});
