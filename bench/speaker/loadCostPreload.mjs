// Preload of bench/speaker/loadCost.ts: counts the modules the process loads (ESM and CommonJS, through
// module.registerHooks) and, when it exits, writes one JSON line to stderr with that count, VmRSS and the
// heap in use after a full collection (the process runs with --expose-gc).
import { registerHooks } from 'node:module';
import { readFileSync } from 'node:fs';

let modules = 0;
registerHooks({
  load(url, context, next) {
    if (!url.startsWith('node:')) modules++;
    return next(url, context);
  },
});
process.on('exit', () => {
  globalThis.gc?.();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1]);
  process.stderr.write(`${JSON.stringify({ loadCost: { modules, rssKiB: kib('VmRSS'), heapUsedBytes: process.memoryUsage().heapUsed } })}\n`);
});
