// Per-partition progress: a redrawn bar (rows, MB/s) on a terminal, plain log lines otherwise.
export class Progress {
  private rows = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private lastPrint = 0;
  constructor(private label: string, private totalRows: number | null, private tty: boolean, private log: (line: string) => void) {}

  update(rows: number, bytes: number): void {
    this.rows = rows;
    this.bytes = bytes;
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

  private line(): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 0.001);
    const mbs = this.bytes / 1e6 / secs;
    const rate = `${Math.round(this.rows / secs).toLocaleString("en-US")} rows/s, ${mbs.toFixed(1)} MB/s`;
    if (this.tty && this.totalRows && this.totalRows > 0) {
      const f = Math.min(this.rows / this.totalRows, 1);
      const w = 24;
      const bar = "#".repeat(Math.round(f * w)).padEnd(w, ".");
      return `${this.label} [${bar}] ${this.rows.toLocaleString("en-US")}/${this.totalRows.toLocaleString("en-US")} rows ${rate}`;
    }
    return `${this.label}: ${this.rows.toLocaleString("en-US")} rows, ${(this.bytes / 1e6).toFixed(1)} MB, ${rate}`;
  }
}
