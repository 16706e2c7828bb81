// `pgtide convert`: library functions the CLI wraps. SQL decides (tide.convert, tide.split_legacy);
// this file only runs them, collects their NOTICEs as the plan, and turns split progress into events.
import type pg from "pg";

export interface ConvertOptions {
  /** The table to convert, as written in SQL (e.g. `public.audit_log`). */
  source: string;
  control: string;
  every: string;
  premake?: number;
  keep?: string | null;
  onExpire?: "drop" | "detach" | "archive";
  timeZone?: string;
  defaultPartition?: boolean;
  /** Print the plan, change nothing. */
  dryRun?: boolean;
  /** Receives every line tide.convert reports (plan, steps, result). */
  onNotice?: (line: string) => void;
}

export interface ConvertResult {
  dryRun: boolean;
  /** Every NOTICE line from tide.convert, in order: the plan first. */
  lines: string[];
  wallMs: number;
}

function collectNotices(client: pg.Client, sink: (line: string) => void): () => void {
  const handler = (msg: { message?: string }) => {
    if (msg.message) sink(msg.message.replace(/^pgtide: /, ""));
  };
  client.on("notice", handler);
  return () => client.removeListener("notice", handler);
}

/** CALL tide.convert(...) on a connection that is not inside a transaction block. */
export async function convertTable(client: pg.Client, opts: ConvertOptions): Promise<ConvertResult> {
  const lines: string[] = [];
  const stop = collectNotices(client, (l) => {
    lines.push(l);
    opts.onNotice?.(l);
  });
  const t0 = performance.now();
  try {
    await client.query(
      `call tide.convert($1::regclass, $2::name, $3::text, $4::integer, $5::text, $6::text, $7::text, $8::boolean, $9::boolean)`,
      [
        opts.source,
        opts.control,
        opts.every,
        opts.premake ?? 4,
        opts.keep ?? null,
        opts.onExpire ?? "drop",
        opts.timeZone ?? "UTC",
        opts.defaultPartition ?? true,
        opts.dryRun ?? false,
      ],
    );
  } finally {
    stop();
  }
  return { dryRun: opts.dryRun ?? false, lines, wallMs: performance.now() - t0 };
}

export interface SplitProgress {
  action: string;
  rowsDone: number;
  rowsLeft: number;
  rowsPerSecond: number;
  etaSeconds: number | null;
  done: boolean;
}

export interface SplitOptions {
  parent: string;
  batchRows?: number;
  onProgress?: (p: SplitProgress) => void;
}

/**
 * Runs the split step by step (each step its own transaction, like CALL tide.split_legacy) so the
 * caller can draw a progress bar. Safe to interrupt; calling it again resumes.
 */
export async function splitLegacy(client: pg.Client, opts: SplitOptions): Promise<{ rowsDone: number; wallMs: number }> {
  const t0 = performance.now();
  let rowsDone = 0;
  for (;;) {
    const r = await client.query<{ action: string; rows: string; rows_left: string; done: boolean }>(
      `select action, rows, rows_left, done from _tide.convert_split_step($1::regclass, $2::integer, now())`,
      [opts.parent, opts.batchRows ?? 10000],
    );
    const row = r.rows[0];
    if (!row) throw new Error(`pgtide: split of ${opts.parent} returned no step`);
    rowsDone += Number(row.rows);
    const secs = (performance.now() - t0) / 1000;
    const rate = rowsDone / Math.max(secs, 0.001);
    const left = Number(row.rows_left);
    opts.onProgress?.({
      action: row.action,
      rowsDone,
      rowsLeft: left,
      rowsPerSecond: rate,
      etaSeconds: rate > 0 ? left / rate : null,
      done: row.done,
    });
    if (row.done) break;
  }
  return { rowsDone, wallMs: performance.now() - t0 };
}
