// Strips comments and whitespace from @kubernetes/client-node's compiled JavaScript, in place, once per
// install (run by `npm run build`, so CI, the tests and the image's build stage all run the same code).
// Why: V8 keeps every loaded module's source text in memory for lazy compilation, and client-node's
// generated API (every API group, 700 models, each wrapped three times with its JSDoc) is 21 MB of source
// that index.js loads eagerly; stripped it is 6 MB, about 12 MiB less resident memory in each herald
// process (docs/operations.md, "Memory and CPU"; bench/speaker/idleProfile.ts). Whitespace and comments
// only: no renaming, no syntax rewriting, the module graph and behaviour stay as published. Stack frames
// inside client-node then point into one long line per file instead of its .js.map-less source.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync, version as esbuildVersion } from 'esbuild';

const dist = dirname(fileURLToPath(import.meta.resolve('@kubernetes/client-node')));
const clientVersion = createRequire(import.meta.url)('@kubernetes/client-node/package.json').version;
const marker = join(dist, '.herald-minified');
const stamp = `@kubernetes/client-node ${clientVersion}, esbuild ${esbuildVersion}, whitespace\n`;
if (existsSync(marker) && readFileSync(marker, 'utf8') === stamp) process.exit(0);

let before = 0;
let after = 0;
const walk = (dir) => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (entry.name.endsWith('.js')) {
      const source = readFileSync(path, 'utf8');
      const { code } = transformSync(source, { loader: 'js', minifyWhitespace: true, legalComments: 'none', sourcefile: path });
      before += source.length;
      after += code.length;
      writeFileSync(path, code);
    }
  }
};
walk(dist);
writeFileSync(marker, stamp);
console.log(`minifyClientNode: ${dist}: ${(before / 2 ** 20).toFixed(1)} MiB of JavaScript → ${(after / 2 ** 20).toFixed(1)} MiB`);
