// esbuild's options for herald's bundles: bundleBinaries.mjs builds with them, and the speaker's
// membershipThreadImports.test.ts bundles the worker's entry with the same ones to see what it loads.
import { fileURLToPath } from 'node:url';

/**
 * node-fetch 2 (client-node's HTTP layer) imports whatwg-url but uses it only where Node has no URL
 * (`Url.URL || whatwgUrl.URL`): Node always has one. whatwg-url brings tr46, whose Unicode mapping table
 * is parsed at load and which loads Node's deprecated `punycode` (the DEP0040 warning): ~2 MiB per
 * isolate for code that never runs. The shim hands node-fetch Node's own URL, which it picks anyway.
 */
const WHATWG_URL_SHIM = fileURLToPath(new URL('./whatwgUrlShim.mjs', import.meta.url));

/** @returns {import('esbuild').BuildOptions} */
export function bundleOptions() {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    external: ['netlink'],
    alias: { 'whatwg-url': WHATWG_URL_SHIM },
    // The CommonJS packages inside (pino, prom-client, ...) call require() for Node's built-ins.
    banner: { js: "import { createRequire as __heraldCreateRequire } from 'node:module'; const require = __heraldCreateRequire(import.meta.url);" },
    minifyWhitespace: true,
    legalComments: 'none',
  };
}
