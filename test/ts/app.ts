// What the TypeScript tests use to play "the application" and to wait for asynchronous effects:
// a steady insert loop that records its slowest round trip, and a bounded poll.
import type pg from "pg";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InsertStats {
  count: number;
  max: number;
  errors: string[];
}

/**
 * Run `insert(n)` (n = 0, 1, 2, …: the n-th statement) every `everyMs` until stopped; record the
 * slowest round trip and every failure, as "n: SQLSTATE message".
 */
export function statementLoop(client: pg.Client, insert: (n: number) => [string, unknown[]], everyMs = 20) {
  const stats: InsertStats = { count: 0, max: 0, errors: [] };
  let running = true;
  const done = (async () => {
    for (let n = 0; running; n++) {
      const t0 = performance.now();
      const [sql, params] = insert(n);
      try {
        await client.query(sql, params);
        stats.count++;
      } catch (e) {
        const err = e as { code?: string; message: string };
        stats.errors.push(`${n}: ${err.code ?? ""} ${err.message}`);
      }
      stats.max = Math.max(stats.max, performance.now() - t0);
      await sleep(everyMs);
    }
  })();
  return {
    stats,
    async stop() {
      running = false;
      await done;
      return stats;
    },
  };
}

/** Insert one row (at, note) every `everyMs` until stopped; record the slowest round trip. */
export function insertLoop(client: pg.Client, table: string, at: string, everyMs = 20) {
  return statementLoop(client, () => [`insert into ${table} (at, note) values ($1, 'app')`, [at]], everyMs);
}

/** Poll `probe` every second until it returns a value, or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(1000);
  }
}

/**
 * Make the next maintenance run one that prunes: the log and run history are pruned in every 10th
 * run (`every` 10), pg_cron's history in every 60th (`every` 60), by run id. Moves the run ids on
 * to the next multiple of `every` past every existing one.
 */
export async function nextRunPrunes(client: pg.Client, every: 10 | 60 = 10): Promise<void> {
  await client.query(
    `select setval(s, greatest((select coalesce(max(run_id), 0) from _tide.runs), coalesce(pg_sequence_last_value(s), 0)) / $1 * $1 + $1 - 1)
       from (select pg_get_serial_sequence('_tide.runs', 'run_id')::regclass as s) q`,
    [every],
  );
}
