import { execFile } from 'node:child_process';

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command to completion without a shell; never throws for a non-zero exit (callers decide). */
export function run(command: string, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(command, args, { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr) || (error && code !== 0 ? error.message : ''), code });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs a command and throws, with its stderr, if it fails. */
export async function mustRun(command: string, args: readonly string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const r = await run(command, args, options);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
