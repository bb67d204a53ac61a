#!/usr/bin/env node
// kubectl-herald: composition root only. kubectl runs `kubectl herald ARGS` as `kubectl-herald ARGS`.
import { CliError, EXIT } from './cliError.js';
import { route } from './router.js';

const readStdin = async (): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const io = { stdout: process.stdout, stderr: process.stderr, readStdin, env: process.env };

route(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof CliError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
).finally(() => {
  // A request abandoned at its timeout may still hold a socket open; do not wait for it.
  setImmediate(() => process.exit());
});
