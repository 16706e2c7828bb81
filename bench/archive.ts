// Benchmark: export a 2-million-row audit-log partition to verified zstd Parquet with pgtide's
// exporter, next to `COPY … TO` a file of the same partition, in the same run, and print the ratio.
// Run: npm run build && node dist/bench/archive.js [rows]   (PGTIDE_BENCH_DATABASE_URL=… to use a running server;
// PGTIDE_ARCHIVE_TIMING=1 prints the exporter's internal timestamps)
import { mkdtempSync, rmSync, statSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { startCluster, stopCluster } from "../installer/cluster.js";
import { install } from "../installer/install.js";
import { archivePending } from "../installer/archive/index.js";

const ROWS = Number(process.argv[2] ?? 2_000_000);

async function main(): Promise<void> {
  let url = process.env.PGTIDE_BENCH_DATABASE_URL;
  let clusterDir: string | null = null;
  if (!url) {
    const cluster = await startCluster({ fast: true });
    clusterDir = cluster.dir;
    url = cluster.url();
  }
  const c = new pg.Client({ connectionString: url, application_name: "pgtide-bench" });
  await c.connect();
  const work = mkdtempSync(join(tmpdir(), "pgtide-bench-archive-"));
  chmodSync(work, 0o777);
  try {
    await c.query("drop schema if exists bench_archive cascade");
    await install(c, { createCronExtension: false });
    await c.query("create schema bench_archive");
    await c.query(`create table bench_archive.audit_log (
        id bigint not null, occurred_at timestamptz not null, actor text not null, action text not null,
        entity text not null, entity_id bigint, ip inet, payload jsonb) partition by range (occurred_at)`);
    await c.query(`create table bench_archive.audit_log_2023_01 partition of bench_archive.audit_log
                   for values from ('2023-01-01 00:00:00+00') to ('2023-02-01 00:00:00+00')`);
    process.stderr.write(`loading ${ROWS.toLocaleString("en-US")} audit rows…\n`);
    await c.query(`insert into bench_archive.audit_log_2023_01
      select g, '2023-01-01 00:00:00+00'::timestamptz + (g * 1.339) * interval '1 second',
             'user' || (g % 5000) || '@example.com',
             (array['login','logout','create','update','delete','export'])[1 + g % 6],
             (array['invoice','customer','order','payment'])[1 + g % 4], g % 100000,
             ('10.' || (g % 250) || '.' || (g % 200) || '.' || (g % 7))::inet,
             jsonb_build_object('request_id', md5(g::text), 'status', 200 + (g % 3), 'changes', jsonb_build_object('field', 'amount', 'old', g % 977, 'new', g % 991))
      from generate_series(1, $1) g`, [ROWS]);
    await c.query("vacuum analyze bench_archive.audit_log_2023_01");

    // The practical limit: COPY … TO a file (server side), warm cache.
    const copyFile = join(work, "copy.txt");
    let t = performance.now();
    await c.query(`copy bench_archive.audit_log_2023_01 to '${copyFile}'`);
    const copySecs = (performance.now() - t) / 1000;
    const copyBytes = statSync(copyFile).size;
    rmSync(copyFile);

    await c.query("alter table bench_archive.audit_log detach partition bench_archive.audit_log_2023_01");
    await c.query(`select _tide.enqueue_archive('bench_archive.audit_log', 'bench_archive.audit_log_2023_01',
                   '2023-01-01 00:00:00+00', '2023-02-01 00:00:00+00')`);
    const target = pathToFileURL(join(work, "archive")).href;
    t = performance.now();
    const [r] = await archivePending(c, { target, progress: false, log: (l) => process.stderr.write(l + "\n") });
    const pgtideSecs = (performance.now() - t) / 1000;
    if (!r || r.state !== "dropped") throw new Error(`archive did not complete: ${JSON.stringify(r)}`);

    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    const line = (name: string, secs: number, note: string) =>
      `| ${name} | ${secs.toFixed(2)} | ${fmt(ROWS / secs)} | ${(copyBytes / 1e6 / secs).toFixed(1)} | ${note} |`;
    console.log(`\nArchive export of a ${fmt(ROWS)}-row audit-log partition (${(copyBytes / 1e6).toFixed(0)} MB as COPY text)\n`);
    console.log("| method | seconds | rows/s | MB/s (COPY-text MB) | output |");
    console.log("| --- | --- | --- | --- | --- |");
    console.log(line("COPY … TO file (server side)", copySecs, `${(copyBytes / 1e6).toFixed(0)} MB text, unverified`));
    console.log(line("pgtide archive (export + read-back + complete_archive)", pgtideSecs,
      `${(r.fileBytes / 1e6).toFixed(0)} MB zstd Parquet, verified, partition dropped`));
    console.log(`\npgtide / COPY rows/s ratio: ${((copySecs / pgtideSecs) * 100).toFixed(0)}% (target ≥ 40%)`);
    const p = r.phases;
    console.log(`pgtide exporter: ${fmt(ROWS / pgtideSecs)} rows/s, ${(copyBytes / 1e6 / pgtideSecs).toFixed(1)} MB/s of COPY text, ` +
      `${(r.fileBytes / 1e6 / pgtideSecs).toFixed(1)} MB/s of Parquet`);
    console.log(`pgtide phases: export (COPY → DuckDB → zstd Parquet, published) ${p.export.toFixed(2)} s, ` +
      `read-back verification ${p.verify.toFixed(2)} s (tide.complete_archive re-checks the table meanwhile), ` +
      `then waiting for tide.complete_archive ${p.complete.toFixed(2)} s`);
    await c.query("drop schema bench_archive cascade");
  } finally {
    await c.end();
    rmSync(work, { recursive: true, force: true });
    if (clusterDir) await stopCluster(clusterDir);
  }
}

await main();
