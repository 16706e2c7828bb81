// The CLI commands that come from the feature modules (status, demo, archive, convert, …).
// Each entry only parses its own options and prints; the work is in the module it calls.
import type pg from "pg";
import type { Parsed } from "./cli.js";

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  withClient: <T>(values: Parsed["values"], fn: (c: pg.Client) => Promise<T>) => Promise<T>;
}

export interface Command {
  summary: string;
  run: (args: Parsed, io: Io) => Promise<number>;
}

export const commands: Record<string, Command> = {};
