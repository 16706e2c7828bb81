// Parquet through DuckDB's Node API (@duckdb/node-api; the engine, its Parquet writer/reader and ZSTD
// are statically linked into the binary that ships in the npm package, nothing is downloaded:
// extension auto-install and auto-load are switched off). Three jobs:
//  - Staging: the canonical CSV of a partition (as the exporter's COPY … (COPY_CSV) sends it),
//    parsed once into a temporary table, → typed zstd Parquet;
//  - Staging.digest / fileDigest: the same digest computed over the CSV's canonical texts and over the
//    canonical texts re-derived from every value of the Parquet file, so equal digests prove the
//    file decodes back to exactly the text that came out of the database;
//  - canonicalRows: the canonical text of every value of a Parquet file, chunk by chunk, for a full
//    pgtide-archive/3 content checksum when there is no stream to compare with (resume, restore).
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { PG_EPOCH_OFFSET_US, PG_INFINITY, PG_MINUS_INFINITY, type ArchiveColumn, type Kind } from "./canonical.js";
import { CSV_QUOTE, MAX_ROW_BYTES } from "./csv-hash.js";

let instance: Promise<DuckDBInstance> | null = null;

/**
 * The process's DuckDB: in memory and bounded (memory_limit; beyond it DuckDB spills to a folder
 * under the first job's tmpDir, `pgtide-duckdb-<pid>`, which it removes when the process ends).
 */
async function connect(tmpDir: string): Promise<DuckDBConnection> {
  instance ??= DuckDBInstance.create(":memory:", {
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    memory_limit: process.env.PGTIDE_DUCKDB_MEMORY ?? "1GB",
    preserve_insertion_order: "false",
    temp_directory: join(tmpDir, `pgtide-duckdb-${process.pid}`),
  });
  return (await instance).connect();
}

export function lit(s: string): string {
  return "'" + s.replace(/'/g, "''") + "'";
}

export function ident(s: string): string {
  return '"' + s.replace(/"/g, '""') + '"';
}

/** DuckDB SQL turning canonical text `x` (VARCHAR) into the column's Parquet-bound DuckDB value. */
function typedExpr(kind: Kind, x: string): string {
  switch (kind) {
    case "int16": return `CAST(${x} AS SMALLINT)`;
    case "int32": return `CAST(${x} AS INTEGER)`;
    case "int64": return `CAST(${x} AS BIGINT)`;
    case "boolean": return `CASE ${x} WHEN 't' THEN true WHEN 'f' THEN false END`;
    // IEEE bits, reinterpreted (not parsed): -0, NaN payloads and the last bit survive.
    case "float32": return `CAST(CAST(CAST(('0x' || ${x}) AS UINTEGER) AS BIT) AS FLOAT)`;
    case "float64": return `CAST(CAST(CAST(('0x' || ${x}) AS UBIGINT) AS BIT) AS DOUBLE)`;
    // The server's int64 (micros since 2000-01-01) as two's-complement hex, reinterpreted, moved to
    // DuckDB's epoch (1970); PostgreSQL's infinities (the int64 extremes) become DuckDB's.
    case "timestamptz": case "timestamp": {
      const t = kind === "timestamptz" ? "TIMESTAMPTZ" : "TIMESTAMP";
      return `CASE ${x} WHEN '${PG_INFINITY}' THEN 'infinity'::${t} WHEN '${PG_MINUS_INFINITY}' THEN '-infinity'::${t} ` +
        `ELSE make_${t.toLowerCase()}(CAST(CAST(CAST(('0x' || ${x}) AS UBIGINT) AS BIT) AS BIGINT) + ${PG_EPOCH_OFFSET_US}) END`;
    }
    case "date": return `CASE ${x} WHEN 'infinity' THEN 'infinity'::DATE WHEN '-infinity' THEN '-infinity'::DATE ELSE DATE '1970-01-01' + CAST(${x} AS INTEGER) END`;
    case "bytea": return `from_hex(${x})`;
    case "json": return `CAST(${x} AS JSON)`;
    default: return x;
  }
}

/** DuckDB SQL giving back the canonical text of a Parquet value `v` (the inverse of typedExpr). */
function canonicalExpr(kind: Kind, v: string): string {
  switch (kind) {
    case "int16": case "int32": case "int64": return `CAST(${v} AS VARCHAR)`;
    case "boolean": return `CASE WHEN ${v} THEN 't' WHEN NOT ${v} THEN 'f' END`;
    case "float32": return `printf('%08x', CAST(CAST(${v} AS BIT) AS UINTEGER))`;
    case "float64": return `printf('%016x', CAST(CAST(${v} AS BIT) AS UBIGINT))`;
    case "timestamptz": case "timestamp": {
      const t = kind === "timestamptz" ? "TIMESTAMPTZ" : "TIMESTAMP";
      return `CASE WHEN ${v} = 'infinity'::${t} THEN '${PG_INFINITY}' WHEN ${v} = '-infinity'::${t} THEN '${PG_MINUS_INFINITY}' ` +
        `ELSE printf('%016x', CAST(CAST(epoch_us(${v}) - ${PG_EPOCH_OFFSET_US} AS BIT) AS UBIGINT)) END`;
    }
    case "date":
      return `CASE WHEN isinf(${v}) THEN CAST(${v} AS VARCHAR) ELSE CAST(${v} - DATE '1970-01-01' AS VARCHAR) END`;
    case "bytea": return `lower(hex(${v}))`;
    default: return `CAST(${v} AS VARCHAR)`;
  }
}

function csvScan(path: string, n: number): string {
  const cols = Array.from({ length: n }, (_, i) => `'c${i + 1}': 'VARCHAR'`).join(", ");
  // FORCE_QUOTE * on the PostgreSQL side: every non-NULL value is quoted, so an unquoted empty field
  // is NULL and a quoted one the empty string (allow_quoted_nulls = false). Quote and escape are
  // CSV_QUOTE (the byte itself in the literal).
  const qt = lit(String.fromCharCode(CSV_QUOTE));
  return `read_csv(${lit(path)}, columns = {${cols}}, header = false, delim = ',', quote = ${qt}, escape = ${qt}, ` +
    `new_line = '\\n', nullstr = '', allow_quoted_nulls = false, auto_detect = false, strict_mode = true, parallel = true, ` +
    `max_line_size = ${MAX_ROW_BYTES}, buffer_size = ${2 * MAX_ROW_BYTES})`;
}

export interface WriteOptions { rowGroupSize: number; compressionLevel: number; kv: Record<string, string>; tmpDir: string }

export interface Digest { rows: number; digest: string }

const rowHash = (exprs: string[]) => `CAST(hash(${exprs.join(", ")}) AS HUGEINT)`;

/**
 * One partition's stream, held by DuckDB: `load` parses the canonical CSV (a FIFO fed while COPY
 * runs, or a file) once into a temporary table of texts (DuckDB keeps it within memory_limit and
 * spills the rest to tmpDir), `digest` sums DuckDB's hash of each row's texts, `writeParquet`
 * converts it to typed zstd Parquet. `close` drops everything.
 */
export class Staging {
  private constructor(private readonly c: DuckDBConnection, private readonly columns: ArchiveColumn[]) {}

  static async open(columns: ArchiveColumn[], tmpDir: string): Promise<Staging> {
    return new Staging(await connect(tmpDir), columns);
  }

  async load(csvPath: string): Promise<void> {
    // Each row's hash is taken as it is parsed (h), so the digest needs no second pass over the texts.
    await this.c.run(`CREATE OR REPLACE TEMP TABLE pgtide_stream AS SELECT *, hash(${this.columns.map((_, i) => `c${i + 1}`).join(", ")}) AS h ` +
      `FROM ${csvScan(csvPath, this.columns.length)}`);
  }

  async digest(): Promise<Digest> {
    const r = await this.c.runAndReadAll(`SELECT count(*)::VARCHAR AS n, coalesce(sum(CAST(h AS HUGEINT)), 0)::VARCHAR AS d FROM pgtide_stream`);
    const row = r.getRowObjects()[0]!;
    return { rows: Number(row.n), digest: String(row.d) };
  }

  async writeParquet(parquetPath: string, o: Omit<WriteOptions, "tmpDir">): Promise<void> {
    const select = this.columns.map((col, i) => `${typedExpr(col.kind, `c${i + 1}`)} AS ${ident(col.name)}`).join(", ");
    const kv = Object.entries(o.kv).map(([k, v]) => `${lit(k)}: ${lit(v)}`).join(", ");
    await this.c.run(`COPY (SELECT ${select} FROM pgtide_stream) TO ${lit(parquetPath)} ` +
      `(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${o.compressionLevel}, ROW_GROUP_SIZE ${o.rowGroupSize}` +
      `${kv ? `, KV_METADATA {${kv}}` : ""})`);
  }

  close(): void {
    void this.c.run("DROP TABLE IF EXISTS pgtide_stream").catch(() => undefined).finally(() => this.c.closeSync());
  }
}

/** The file's column names, in order. */
async function fileColumns(c: DuckDBConnection, path: string): Promise<string[]> {
  const r = await c.runAndReadAll(`SELECT name FROM parquet_schema(${lit(path)}) WHERE num_children IS NULL OR num_children = 0`);
  return r.getRowObjects().map((x) => String(x.name));
}

function checkColumns(names: string[], columns: ArchiveColumn[]): void {
  if (names.length !== columns.length || names.some((n, i) => n !== columns[i]!.name)) {
    throw new Error(`pgtide: Parquet columns (${names.join(", ")}) differ from the table's (${columns.map((c) => c.name).join(", ")})`);
  }
}

export interface FileDigest extends Digest { minControl: string | null; maxControl: string | null }

/** The same digest as Staging.digest, re-derived from every value of the Parquet file, plus min/max of the control column. */
export async function fileDigest(path: string, columns: ArchiveColumn[], control: string | null, tmpDir: string): Promise<FileDigest> {
  const c = await connect(tmpDir);
  try {
    checkColumns(await fileColumns(c, path), columns);
    const canon = columns.map((col) => canonicalExpr(col.kind, ident(col.name)));
    const ctl = control ? columns.find((x) => x.name === control) : undefined;
    const mm = ctl ? `, ${canonicalExpr(ctl.kind, `min(${ident(ctl.name)})`)} AS lo, ${canonicalExpr(ctl.kind, `max(${ident(ctl.name)})`)} AS hi` : ", NULL AS lo, NULL AS hi";
    const r = await c.runAndReadAll(`SELECT count(*)::VARCHAR AS n, coalesce(sum(${rowHash(canon)}), 0)::VARCHAR AS d${mm} FROM read_parquet(${lit(path)})`);
    const row = r.getRowObjects()[0]!;
    return { rows: Number(row.n), digest: String(row.d), minControl: row.lo == null ? null : String(row.lo), maxControl: row.hi == null ? null : String(row.hi) };
  } finally {
    c.closeSync();
  }
}

/** Every row of the file as canonical texts, one DuckDB chunk (≤ 2048 rows) at a time. */
export async function canonicalRows(path: string, columns: ArchiveColumn[], tmpDir: string, onRows: (rows: (string | null)[][]) => void): Promise<void> {
  const c = await connect(tmpDir);
  try {
    checkColumns(await fileColumns(c, path), columns);
    // each text prefixed with '#' and the prefix cut off here: a value beginning with U+FEFF would
    // otherwise lose it on its way into a JavaScript string
    const canon = columns.map((col, i) => `'#' || ${canonicalExpr(col.kind, ident(col.name))} AS c${i + 1}`);
    const res = await c.stream(`SELECT ${canon.join(", ")} FROM read_parquet(${lit(path)})`);
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      onRows((chunk.getRows() as (string | null)[][]).map((row) => row.map((v) => (v === null ? null : v.slice(1)))));
    }
  } finally {
    c.closeSync();
  }
}
