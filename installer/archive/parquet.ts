// Parquet I/O for archives: a streaming zstd writer that pushes each finished row group into an
// object sink, and a row-group-at-a-time reader that recomputes rows, checksum and min/max.
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "hyparquet";
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import type { Writer } from "hyparquet-writer/src/types.js";
import { init as zstdInit, compress as zstdCompress, decompress as zstdDecompress } from "@bokuweb/zstd-wasm";
import { createHash, type Hash } from "node:crypto";
import { compareCanonical, ContentChecksum, fromParquet, rawParsers, schemaElement, type ArchiveColumn } from "./canonical.js";
import type { ObjectSink } from "./store.js";

let zstdReady: Promise<void> | null = null;
export function zstdLoaded(): Promise<void> {
  zstdReady ??= zstdInit();
  return zstdReady;
}

export interface StreamingParquet {
  /** Append one row group (columns of equal length). Resolves when its bytes are in the sink. */
  writeGroup(columns: unknown[][]): Promise<void>;
  /** Write the footer and flush; returns the file's sha256 and size. */
  finish(): Promise<{ sha256: string; bytes: number }>;
}

export async function openParquet(sink: ObjectSink, columns: ArchiveColumn[], kv: Record<string, string>, level = 3): Promise<StreamingParquet> {
  await zstdLoaded();
  const sha: Hash = createHash("sha256");
  let bytes = 0;
  const bw = new ByteWriter(1 << 20) as unknown as Writer & { index: number };
  const drain = async () => {
    if (bw.index === 0) return;
    const chunk = new Uint8Array(bw.buffer.slice(0, bw.index));
    bw.index = 0;
    sha.update(chunk);
    bytes += chunk.length;
    await sink.write(chunk);
  };
  bw.flush = drain;
  bw.finish = drain;
  const schema = [{ name: "root", num_children: columns.length }, ...columns.map(schemaElement)];
  const pw = new ParquetWriter({
    writer: bw,
    schema,
    codec: "ZSTD",
    compressors: { ZSTD: (input: Uint8Array) => zstdCompress(input, level) },
    kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
    createdBy: "pgtide",
  });
  return {
    async writeGroup(cols) {
      const n = cols[0]?.length ?? 0;
      if (n === 0) return;
      await pw.write({
        columnData: columns.map((c, i) => ({ name: c.name, data: cols[i] as unknown[] as never })),
        rowGroupSize: n,
      });
    },
    async finish() {
      await pw.finish();
      await drain();
      return { sha256: sha.digest("hex"), bytes };
    },
  };
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
