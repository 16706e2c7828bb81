// Parquet reading for restore: a row-group-at-a-time reader (hyparquet, pure JavaScript) that hands
// rows to the loader and recomputes rows, checksum and min/max. (Writing is DuckDB's: duck.ts.)
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "hyparquet";
import { init as zstdInit, decompress as zstdDecompress } from "@bokuweb/zstd-wasm";
import { compareCanonical, ContentChecksum, fromParquet, rawParsers, type ArchiveColumn } from "./canonical.js";

let zstdReady: Promise<void> | null = null;
export function zstdLoaded(): Promise<void> {
  zstdReady ??= zstdInit();
  return zstdReady;
}

export interface ReadBack {
  rows: number;
  checksum: string;
  minControl: string | null;
  maxControl: string | null;
  columns: string[];
  kv: Record<string, string>;
}

export const readCompressors = {
  ZSTD: (input: Uint8Array) => zstdDecompress(input),
};

/** Read a local Parquet file one row group at a time, recomputing the content checksum. */
export async function readBackFile(path: string, columns: ArchiveColumn[], control: string | null, onRows?: (rows: unknown[][]) => Promise<void> | void): Promise<ReadBack> {
  await zstdLoaded();
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const names = metadata.schema.slice(1).map((s) => s.name);
  if (names.length !== columns.length || names.some((n, i) => n !== columns[i]!.name)) {
    throw new Error(`pgtide: Parquet columns (${names.join(", ")}) differ from the table's (${columns.map((c) => c.name).join(", ")})`);
  }
  const sum = new ContentChecksum();
  const ci = control ? columns.findIndex((c) => c.name === control) : -1;
  const ck = ci >= 0 ? columns[ci]!.kind : "text";
  let min: string | null = null, max: string | null = null;
  let start = 0;
  for (const rg of metadata.row_groups) {
    const n = Number(rg.num_rows);
    let rows: unknown[][] = [];
    await parquetRead({
      file, metadata, rowStart: start, rowEnd: start + n, rowFormat: "array", utf8: false,
      parsers: rawParsers, compressors: readCompressors,
      onComplete: (r: unknown[][]) => { rows = r; },
    });
    if (rows.length !== n) throw new Error(`pgtide: row group at row ${start} has ${rows.length} rows, metadata says ${n}`);
    const canon: (string | null)[] = new Array(columns.length);
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) canon[i] = fromParquet(columns[i]!.kind, row[i]);
      sum.addRow(canon);
      if (ci >= 0) {
        const v = canon[ci]!;
        if (v !== null) {
          if (min === null || compareCanonical(ck, v, min) < 0) min = v;
          if (max === null || compareCanonical(ck, v, max) > 0) max = v;
        }
      }
    }
    if (onRows) await onRows(rows);
    start += n;
  }
  const kv: Record<string, string> = {};
  for (const e of metadata.key_value_metadata ?? []) kv[e.key] = e.value ?? "";
  return { rows: sum.rows, checksum: sum.digest(), minControl: min, maxControl: max, columns: names, kv };
}
