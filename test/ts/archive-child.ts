// Runs the exporter in a child process for the fault tests: archive-faults.test.ts kills it.
// argv: database URL, target URI; env PGTIDE_ARCHIVE_STALL picks the point where it waits to be killed.
import pg from "pg";
import { archivePending } from "../../installer/archive/index.js";

const [url, target, id] = process.argv.slice(2);
const c = new pg.Client({ connectionString: url, application_name: "pgtide-archive-child" });
await c.connect();
const r = await archivePending(c, { target, archiveId: id ? Number(id) : undefined, rowGroupSize: 2000, progress: false, log: (l) => process.stderr.write(l + "\n") });
process.stdout.write(JSON.stringify(r) + "\n");
await c.end();
