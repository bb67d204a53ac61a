import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { bundleOptions } from '../../../kube/tools/bundleOptions.mjs';

/**
 * The membership worker is a second V8 isolate: every package its bundle reaches is loaded a second time,
 * source text, bytecode and heap (bench/speaker/rss.ts). These are the ones it has no use for.
 */
const NOT_IN_THE_WORKER = [
  ['@kubernetes/client-node', 'the main thread runs the Leases for it (KubeLeases, ThreadLeases)'],
  ['prom-client', 'its metrics are counted in the worker and served by the main thread'],
  ['whatwg-url', 'node-fetch uses Node\'s own URL (bundleOptions.mjs)'],
  ['tr46', 'whatwg-url\'s, not needed either'],
];

/** The packages (by node_modules directory) that the worker's entry reaches, bundled as bundleBinaries.mjs does. */
async function packagesReached(): Promise<Set<string>> {
  const entry = fileURLToPath(new URL('./membershipThread.ts', import.meta.url));
  const r = await build({ ...bundleOptions(), entryPoints: [entry], write: false, metafile: true, logLevel: 'silent' });
  const reached = new Set<string>();
  for (const input of Object.keys(r.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) reached.add(m[1]!);
  }
  return reached;
}

describe('what the membership worker thread loads', () => {
  let bundled: Promise<Set<string>> | undefined;
  it.each(NOT_IN_THE_WORKER)('not %s (%s)', async (pkg) => {
    const reached = await (bundled ??= packagesReached());
    expect(reached).toContain('pino'); // the bundle was made
    expect([...reached]).not.toContain(pkg);
  });
});
