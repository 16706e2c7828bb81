// Kill the exporter (a child process, SIGKILL) in the middle of the upload and after the upload
// but before completion, ten times each: no partition is dropped without a verified archive, no
// half-written object sits under a final name, and a later run finishes with every row intact.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { archivePending, restoreArchive } from "../../installer/archive/index.js";
import { freshDatabase, type TestDatabase } from "./db.js";
import { SCHEMA, checksumOf, queuedPartition } from "./archive-fixture.js";

const TRIALS = 10;
let db: TestDatabase;
let c: pg.Client;
const dir = mkdtempSync(join(tmpdir(), "pgtide-faults-"));
const target = pathToFileURL(dir).href;
const q = (name: string) => `"${SCHEMA.replace(/"/g, '""')}"."${name}"`;

beforeAll(async () => {
  db = await freshDatabase({ prefix: "archfault" });
  c = await db.client();
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function files(suffix: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(suffix)).map((e) => join(e.parentPath, e.name));
}

/** Run the exporter for one job in a child; SIGKILL it as soon as it reaches `stall`. */
function runAndKill(id: number, stall: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["node_modules/vite-node/vite-node.mjs", "test/ts/archive-child.ts", db.url, target, String(id)], {
      env: { ...process.env, PGTIDE_ARCHIVE_STALL: stall },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let err = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`exporter never reached ${stall}: ${err}`)); }, 30_000);
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes(`pgtide-stall ${stall}`)) child.kill("SIGKILL");
    });
    child.on("exit", (_code, signal) => {
      clearTimeout(timer);
      if (signal === "SIGKILL" && err.includes(`pgtide-stall ${stall}`)) resolve();
      else reject(new Error(`exporter exited (${signal ?? _code}) before ${stall}: ${err}`));
    });
  });
}

it(`survives SIGKILL during upload and after upload before completion (${TRIALS} trials each)`, async () => {
  const jobs: { id: number; name: string; stall: string; before: { rows: string; checksum: string } }[] = [];
  let month = 0;
  for (const stall of ["upload", "exported"]) {
    for (let i = 0; i < TRIALS; i++) {
      const lower = new Date(Date.UTC(2000, month, 1)).toISOString();
      const upper = new Date(Date.UTC(2000, ++month, 1)).toISOString();
      const name = `f_${stall}_${i}`;
      const id = await queuedPartition(c, name, { rows: 5000 + i * 37, lower, upper });
      jobs.push({ id, name, stall, before: await checksumOf(c, q(name)) });
    }
  }
  // Two children at a time (the machine has two cores).
  for (let i = 0; i < jobs.length; i += 2) {
    await Promise.all(jobs.slice(i, i + 2).map((j) => runAndKill(j.id, j.stall)));
  }
  for (const j of jobs) {
    const st = (await c.query("select state, target_uri from tide.archives where archive_id = $1", [j.id])).rows[0];
    // Killed before completion: the partition is still there, untouched.
    expect((await c.query("select to_regclass($1) as r", [q(j.name)])).rows[0].r, j.name).not.toBeNull();
    expect(await checksumOf(c, q(j.name))).toEqual(j.before);
    if (j.stall === "upload") {
      expect(st.state).toBe("exporting");
      // Only a .partial may exist: no object under the final name.
      expect(files(`${j.name}@${j.id}.parquet`), j.name).toEqual([]);
      expect(files(`${j.name}@${j.id}.parquet.partial`)).toHaveLength(1);
    } else {
      expect(st.state).toBe("exported");
      expect(files(`${j.name}@${j.id}.parquet`)).toHaveLength(1);
      expect(files(`${j.name}@${j.id}.manifest.json`)).toHaveLength(1);
    }
  }
  // The killed exporters' advisory locks died with them: a new run takes every job and finishes.
  const results = await archivePending(c, { target, log: () => undefined });
  expect(results.map((r) => r.state).sort()).toEqual(jobs.map(() => "dropped"));
  for (const j of jobs) {
    expect((await c.query("select to_regclass($1) as r", [q(j.name)])).rows[0].r).toBeNull();
    const r = results.find((x) => x.archiveId === j.id)!;
    await restoreArchive(c, r.manifestUri!, { as: q(`${j.name}_back`), log: () => undefined });
    expect(await checksumOf(c, q(`${j.name}_back`))).toEqual(j.before);
  }
  // Redone exports reuse the same temporary name, so nothing is left behind.
  expect(files(".partial")).toEqual([]);
  // Nor local staging folders of the killed runs (each job's run clears its own).
  const staging = readdirSync(tmpdir()).filter((n) => n.startsWith(`pgtide-archive-${encodeURIComponent(db.name)}-`));
  expect(staging).toEqual([]);
}, 110_000);
