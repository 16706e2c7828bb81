// Worker thread of csv-hash.ts: hashes COPY CSV batches (in shared memory), acknowledges each, returns the sums at "end".
import { parentPort, workerData } from "node:worker_threads";
import { CsvStreamHasher } from "./csv-hash.js";

const { n, ci, kind } = workerData as { n: number; ci: number; kind: ConstructorParameters<typeof CsvStreamHasher>[2] };
const h = new CsvStreamHasher(n, ci, kind);
parentPort!.on("message", (m: { batch: Uint8Array; length: number } | "end") => {
  try {
    if (m === "end") {
      h.finish();
      parentPort!.postMessage({ result: { rows: h.sum.rows, checksum: h.sum.digest(), min: h.min, max: h.max } });
      return;
    }
    h.push(Buffer.from(m.batch.buffer, m.batch.byteOffset, m.length));
    parentPort!.postMessage({ ack: true, rows: h.sum.rows });
  } catch (e) {
    parentPort!.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
});
