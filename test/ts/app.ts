// What the TypeScript tests use to play "the application" and to wait for asynchronous effects:
// a steady insert loop that records its slowest round trip, and a bounded poll.
import type pg from "pg";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface InsertStats {
  count: number;
  max: number;
  errors: string[];
}

/** Insert one row (at, note) every `everyMs` until stopped; record the slowest round trip. */
export function insertLoop(client: pg.Client, table: string, at: string, everyMs = 20) {
  const stats: InsertStats = { count: 0, max: 0, errors: [] };
  let running = true;
  const done = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        await client.query(`insert into ${table} (at, note) values ($1, 'app')`, [at]);
        stats.count++;
      } catch (e) {
        stats.errors.push((e as Error).message);
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
