// The `pgtide` binary as a user runs it (dist/, built by `make test`), for the tests that drive it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const CLI = join(import.meta.dirname, "..", "..", "dist", "installer", "cli.js");
const exec = promisify(execFile);

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Fails with what to do when the binary has not been built. */
export function requireCli(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run  npm run build  (make test does)`);
}

/** Runs `pgtide ARGS` with ENV on top of this process's environment (a variable set to undefined is removed). */
export async function pgtide(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  try {
    const r = await exec("node", [CLI, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}
