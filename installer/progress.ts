// Progress for long work: a bar redrawn in place on a terminal (rows, rate, MB/s, ETA), plain
// log lines every ten seconds otherwise. Shared by archive, convert/split and the demo load.
export class Progress {
  private rows = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private lastPrint = 0;

  constructor(
    private readonly label: string,
    private totalRows: number | null,
    private readonly tty: boolean,
    private readonly log: (line: string) => void,
  ) {}

  /** Record progress; `total` updates the expected total when it becomes known. */
  update(rows: number, bytes = 0, total?: number | null): void {
    this.rows = rows;
    this.bytes = bytes;
    if (total !== undefined) this.totalRows = total;
    const now = Date.now();
    if (this.tty ? now - this.lastPrint < 100 : now - this.lastPrint < 10_000) return;
    this.lastPrint = now;
    if (this.tty) process.stderr.write("\r" + this.line() + "\x1b[K");
    else this.log(this.line());
  }

  done(outcome: string): void {
    if (this.tty) process.stderr.write("\r\x1b[K");
    this.log(`${this.line()} — ${outcome}`);
  }

  line(): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const perSec = this.rows / secs;
    const rate = `${Math.round(perSec).toLocaleString("en-US")} rows/s` + (this.bytes > 0 ? `, ${(this.bytes / 1e6 / secs).toFixed(1)} MB/s` : "");
    if (this.totalRows && this.totalRows > 0) {
      const f = Math.min(this.rows / this.totalRows, 1);
      const eta = perSec > 0 ? Math.max(this.totalRows - this.rows, 0) / perSec : null;
      const w = 24;
      const bar = this.tty ? ` [${"#".repeat(Math.round(f * w)).padEnd(w, ".")}]` : "";
      return `${this.label}${bar} ${this.rows.toLocaleString("en-US")}/${this.totalRows.toLocaleString("en-US")} rows (${(f * 100).toFixed(0)}%), ${rate}${eta !== null ? `, ETA ${eta.toFixed(0)} s` : ""}`;
    }
    return `${this.label}: ${this.rows.toLocaleString("en-US")} rows${this.bytes > 0 ? `, ${(this.bytes / 1e6).toFixed(1)} MB` : ""}, ${rate}`;
  }
}
