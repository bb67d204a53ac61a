import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * The membership worker is a second V8 isolate: every package its bundle reaches is loaded a second time,
 * source text, bytecode and heap (bench/speaker/rss.ts). These are the ones it has no use for.
 */
const NOT_IN_THE_WORKER = ['prom-client'];

/** The packages (by node_modules directory) that the worker's entry reaches, as bundleBinaries.mjs bundles it. */
async function packagesReached(): Promise<Set<string>> {
  const entry = fileURLToPath(new URL('./membershipThread.ts', import.meta.url));
  const r = await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node24', external: ['netlink'], write: false, metafile: true, logLevel: 'silent' });
  const reached = new Set<string>();
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) reached.add(m[1]!);
  }
  return reached;
}

describe('what the membership worker thread loads', () => {
  it.each(NOT_IN_THE_WORKER)('not %s (its metrics are counted in the worker and served by the main thread)', async (pkg) => {
    const reached = await packagesReached();
    expect(reached.size).toBeGreaterThan(0); // the bundle was made: pino at least is in it
    expect([...reached]).not.toContain(pkg);
  });
});
