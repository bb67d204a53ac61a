// Bundles herald-speaker and herald-controller, each into one ES module with esbuild (run by `npm run build`
// after tsc and minifyClientNode, so CI, the tests and the image's build stage all run the same files).
// Why: V8 keeps every loaded module's source text and its module record in memory, and the binaries loaded
// ~1,080 modules, most of them @kubernetes/client-node's generated API (every API group, every model)
// re-exported from its index. esbuild's tree-shaking keeps only what herald reaches from its imports, so
// each process starts ~20 MiB smaller (bench/speaker/loadCost.ts, docs/install.md "Memory and CPU").
// The code is the published packages' own (whitespace-stripped client-node, pino, prom-client, ...), not
// rewritten: no renaming, no minification beyond whitespace. `netlink` stays outside: it loads its native
// addon from a path relative to its own files. The speaker's addon (herald_net.node) is found relative to
// the bundle, which sits two levels below the package root as dist/native/index.js does.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from './bundleOptions.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * V8 flags the entrypoints run with, in the shebang because Node refuses them in NODE_OPTIONS:
 * --optimize-for-size (V8's memory-saving heuristics; TurboFan stays on) took ~10 MiB off an idle speaker
 * and controller with no slower ARP or heartbeat path (docs/install.md, "Memory and CPU"). The tests pass
 * the same flags (test/processes.ts BUNDLE_NODE_FLAGS; test/docker/dockerfile.test.ts compares).
 */
const SHEBANG = '#!/usr/bin/env -S node --optimize-for-size\n';

/** Where the bundles go; the Dockerfile's entrypoints and the tests (test/processes.ts) run these. */
export const BUNDLES = [
  { entry: 'packages/speaker/dist/main.js', out: 'packages/speaker/dist/bundle/herald-speaker.mjs' },
  { entry: 'packages/controller/dist/main.js', out: 'packages/controller/dist/bundle/herald-controller.mjs' },
  // The speaker's membership worker thread (ADR 0012), loaded by the speaker from beside its own bundle
  // (membershipThreadUrl); no shebang: it is never run on its own.
  { entry: 'packages/speaker/dist/membership/membershipThread.js', out: 'packages/speaker/dist/bundle/herald-speaker-membership.mjs', worker: true },
];

for (const b of BUNDLES) {
  const outfile = join(root, b.out);
  mkdirSync(dirname(outfile), { recursive: true });
  await build({
    ...bundleOptions(),
    entryPoints: [join(root, b.entry)],
    outfile,
    // Stack traces point into one line of the bundle; `node --enable-source-maps` maps them back to
    // dist/ through this file (not read otherwise, so it costs no memory). Sources stay in dist/.
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  });
  if (b.worker) continue;
  // esbuild keeps the entry's `#!/usr/bin/env node`; one line for one line, so the source map still fits.
  const code = readFileSync(outfile, 'utf8');
  if (!code.startsWith('#!/usr/bin/env node\n')) throw new Error(`${b.out}: expected the entry's shebang on line 1`);
  writeFileSync(outfile, SHEBANG + code.slice(code.indexOf('\n') + 1));
  chmodSync(outfile, 0o755);
}
