import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLE_NODE_FLAGS, IMAGE_NODE_OPTIONS } from '../processes.js';

// No Docker engine exists where CI runs, so this keeps the Dockerfile honest against the real tree: the
// steps it runs are the ones CI runs, and everything it copies or links exists after that build.
const root = resolve(import.meta.dirname, '../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const lines = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const stage = (name: string) => {
  const start = lines.findIndex((l) => new RegExp(`^FROM .* AS ${name}$`).test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines.slice(start, end < 0 ? undefined : end);
};

describe('Dockerfile', () => {
  it('builds with the same commands as CI (npm ci, npm run build) against local Node headers', () => {
    const build = stage('build');
    const runs = build.filter((l) => l.startsWith('RUN ')).map((l) => l.slice(4));
    expect(runs).toEqual(['npm ci --no-audit --no-fund', 'npm run build', 'npm prune --omit=dev --no-audit --no-fund']);
    const ci = readFileSync(join(root, '.ci/run'), 'utf8');
    expect(ci).toMatch(/npm ci --no-audit --no-fund/);
    expect(ci).toMatch(/npm run --silent build/);
    expect(build).toContain('ENV npm_config_nodedir=/usr/local');
  });

  it('leaves @kubernetes/client-node stripped of comments and whitespace after npm run build (the image copies that node_modules)', () => {
    // packages/kube/tools/minifyClientNode.mjs: V8 keeps every loaded module's source text, and client-node's
    // published JavaScript is ~20 MiB of it; stripped it is ~6 MiB (bench/speaker/idleProfile.ts).
    const dist = join(root, 'node_modules/@kubernetes/client-node/dist');
    const version = JSON.parse(readFileSync(join(dist, '../package.json'), 'utf8')).version as string;
    expect(readFileSync(join(dist, '.herald-minified'), 'utf8')).toContain(`@kubernetes/client-node ${version},`);
    const generated = readFileSync(join(dist, 'gen/apis/CoreV1Api.js'), 'utf8');
    expect(generated).not.toContain('/**');
    expect(generated.split('\n').length).toBeLessThan(5);
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build).toContain('node packages/kube/tools/minifyClientNode.mjs');
  });

  it('bundles the controller and the speaker after the client is minified (the entrypoints run the bundles)', () => {
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.build).toMatch(/minifyClientNode\.mjs && node packages\/kube\/tools\/bundleBinaries\.mjs/);
  });

  it('runs the binaries with the V8 flags the tests use (IMAGE_NODE_OPTIONS)', () => {
    expect(stage('runtime')).toContain(`ENV NODE_OPTIONS=${IMAGE_NODE_OPTIONS.join(' ')}`);
  });

  it('uses the Node release CI runs on (scripts/node24.sh), and a slim Debian runtime', () => {
    const engines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines.node as string;
    const version = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(join(root, 'scripts/node24.sh'), 'utf8'))?.[1];
    expect(version).toMatch(/^24\./);
    const froms = lines.filter((l) => (l.startsWith('FROM ') && !l.includes('${')) || l.startsWith('ARG NODE_IMAGE'));
    expect(froms).toHaveLength(2);
    for (const f of froms) expect(f).toMatch(new RegExp(`node:${version!.replaceAll('.', '\\.')}-bookworm(-slim)?( |$)`));
    expect(engines).toMatch(/^>=24\./);
    expect(stage('runtime')[0]).toMatch(/bookworm-slim AS runtime$/);
    expect(stage('runtime')).toContain('USER 65534:65534');
  });

  it('copies into the runtime stage only paths that exist after the build', () => {
    const copies = stage('runtime').filter((l) => l.startsWith('COPY --from=build '));
    expect(copies.length).toBeGreaterThan(8);
    for (const c of copies) {
      const src = c.split(/\s+/)[2]!.replace(/^\/src\//, '');
      expect(existsSync(join(root, src)), `${src} (run npm run build first)`).toBe(true);
    }
    const manifests = ['core', 'kube', 'controller', 'speaker', 'cli'].map((p) => `packages/${p}/package.json`);
    for (const m of manifests) expect(dockerfile).toContain(`COPY packages/${m.split('/')[1]}/package.json packages/${m.split('/')[1]}/`);
  });

  it.each([
    ['herald-controller', 'packages/controller/dist/bundle/herald-controller.mjs', 'herald-controller: assigns addresses', `#!/usr/bin/env -S node ${BUNDLE_NODE_FLAGS.join(' ')}\n`],
    ['herald-speaker', 'packages/speaker/dist/bundle/herald-speaker.mjs', 'herald-speaker: answers ARP/NDP', `#!/usr/bin/env -S node ${BUNDLE_NODE_FLAGS.join(' ')}\n`],
    ['kubectl-herald', 'packages/cli/dist/main.js', 'kubectl herald: operate herald', '#!/usr/bin/env node\n'],
  ])('entrypoint %s links to %s, which starts with a shebang and runs', (name, target, usage, shebang) => {
    expect(dockerfile).toContain(`ln -s /app/${target} /usr/local/bin/${name}`);
    const file = join(root, target);
    expect(statSync(file).isFile()).toBe(true);
    expect(readFileSync(file, 'utf8').startsWith(shebang)).toBe(true);
    const out = execFileSync(process.execPath, [file, '--help'], { encoding: 'utf8', timeout: 90_000 });
    expect(out).toContain(usage);
    // The bundles are started through their shebang (the flags in it are not allowed in NODE_OPTIONS).
    if (shebang.includes(' -S ')) expect(execFileSync(file, ['--help'], { encoding: 'utf8', timeout: 90_000 })).toContain(usage);
  }, 120_000);

  it("ships the speaker's membership worker bundle beside the speaker bundle, where the speaker starts it from", () => {
    // membershipThreadUrl: the bundle loads ./herald-speaker-membership.mjs relative to itself; the image copies dist/ whole.
    expect(dockerfile).toContain('COPY --from=build /src/packages/speaker/dist/ packages/speaker/dist/');
    const worker = join(root, 'packages/speaker/dist/bundle/herald-speaker-membership.mjs');
    expect(statSync(worker).isFile()).toBe(true);
    expect(readFileSync(join(root, 'packages/speaker/dist/bundle/herald-speaker.mjs'), 'utf8')).toContain('herald-speaker-membership.mjs');
  });

  it('lists every workspace package the runtime needs', () => {
    const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces as string[];
    for (const w of workspaces) expect(dockerfile).toContain(`COPY --from=build /src/${w}/dist/ ${w}/dist/`);
  });
});
