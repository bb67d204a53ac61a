// The image built from the Dockerfile as is (test/docker/build-image.sh: buildah, --isolation chroot, local
// base images, no registry), and both entrypoints started by runc under the security context the chart gives
// their Pods: user, read-only root filesystem, capabilities, no privilege escalation.
import type { V1Container, V1DaemonSet, V1Deployment, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeObject, ROOT, helmBinaries, mustTemplate, removeScratch } from '../chart/helm.js';
import { mustRun, run } from '../run.js';

interface Build { image: string; root: string; runroot: string; storageDriver: string; built: boolean; seconds: number; baseImageSeconds: number }
interface ImageConfig { User?: string; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string }

let build: Build;
let objects: KubeObject[];
let container: string | undefined;
let rootfs: string;
let config: ImageConfig;
const bundles = mkdtempSync(join(tmpdir(), 'herald-image-'));
const RUNC_ROOT = '/run/herald-runc';

const buildah = (args: string[], timeoutMs = 120_000) =>
  mustRun('buildah', ['--root', build.root, '--runroot', build.runroot, '--storage-driver', build.storageDriver, ...args], { timeoutMs });

beforeAll(async () => {
  // Cold: debootstrap of both base images and the whole image build (about 5 minutes on 2 cores); warm: the
  // tree's content hash finds the image already built.
  build = JSON.parse(await mustRun('bash', [join(ROOT, 'test/docker/build-image.sh')], { timeoutMs: 1_800_000 })) as Build;
  console.log(JSON.stringify({ imageBuild: build }));
  const [helm] = await helmBinaries();
  objects = await mustTemplate(helm!, {});
  config = (JSON.parse(await buildah(['inspect', '--type', 'image', build.image])) as { OCIv1: { config: ImageConfig } }).OCIv1.config;
  container = (await buildah(['from', '--pull=never', build.image])).trim();
  rootfs = (await buildah(['mount', container])).trim();
}, 1_900_000);

afterAll(async () => {
  if (container) {
    await run('buildah', ['--root', build.root, '--runroot', build.runroot, '--storage-driver', build.storageDriver, 'umount', container]);
    await run('buildah', ['--root', build.root, '--runroot', build.runroot, '--storage-driver', build.storageDriver, 'rm', container]);
  }
  rmSync(bundles, { recursive: true, force: true });
  removeScratch();
});

/** The chart's Pod and container security contexts for a workload's one container. */
function chartContainer(kind: 'Deployment' | 'DaemonSet'): { container: V1Container; pod: V1PodSecurityContext; sc: V1SecurityContext } {
  const w = objects.filter((o) => o.kind === kind) as unknown as (V1Deployment | V1DaemonSet)[];
  expect(w).toHaveLength(1);
  const spec = w[0]!.spec!.template.spec!;
  expect(spec.containers).toHaveLength(1);
  return { container: spec.containers[0]!, pod: spec.securityContext ?? {}, sc: spec.containers[0]!.securityContext ?? {} };
}

/** COPY and RUN instructions of a Dockerfile stage: each makes one layer. */
function stepsWithLayers(stage: string): number {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n');
  const start = lines.findIndex((l) => new RegExp(`^FROM .* AS ${stage}$`).test(l));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('FROM '));
  return lines.slice(start, end < 0 ? undefined : end).filter((l) => /^(COPY|RUN) /.test(l)).length;
}

const CAP_BITS: Record<string, number> = { NET_RAW: 13, NET_ADMIN: 12, NET_BIND_SERVICE: 10, SYS_NICE: 23 };

interface RunOutcome { code: number; stdout: string; stderr: string }

/**
 * Runs `args` in the image with runc, as Kubernetes would under this security context: the user and group,
 * a read-only root filesystem, only the added capabilities (after dropping ALL), no new privileges, the
 * image's environment and working directory, and a network namespace of its own.
 */
async function runAs(name: string, ctx: { pod: V1PodSecurityContext; sc: V1SecurityContext }, args: string[]): Promise<RunOutcome> {
  const bundle = join(bundles, name);
  await mustRun('mkdir', ['-p', bundle]);
  await mustRun('runc', ['spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as {
    root: { path: string; readonly: boolean };
    process: { args: string[]; env: string[]; cwd: string; terminal: boolean; user: { uid: number; gid: number }; noNewPrivileges: boolean; capabilities: Record<string, string[]> };
    hostname: string;
  };
  const uid = ctx.sc.runAsUser ?? ctx.pod.runAsUser ?? Number((config.User ?? '0').split(':')[0]);
  const gid = ctx.sc.runAsGroup ?? ctx.pod.runAsGroup ?? Number((config.User ?? '0:0').split(':')[1] ?? 0);
  expect(ctx.sc.capabilities?.drop).toEqual(['ALL']);
  const caps = (ctx.sc.capabilities?.add ?? []).map((c) => `CAP_${c}`);
  spec.root = { path: rootfs, readonly: ctx.sc.readOnlyRootFilesystem === true };
  spec.process.args = args;
  spec.process.env = config.Env ?? [];
  spec.process.cwd = config.WorkingDir || '/';
  spec.process.terminal = false;
  spec.process.user = { uid, gid };
  spec.process.noNewPrivileges = ctx.sc.allowPrivilegeEscalation === false;
  spec.process.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] };
  spec.hostname = name;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  const id = `hrl-img-${process.pid}-${name}`;
  try {
    const r = await run('runc', ['--root', RUNC_ROOT, 'run', '--bundle', bundle, id], { timeoutMs: 60_000 });
    return r;
  } finally {
    await run('runc', ['--root', RUNC_ROOT, 'delete', '--force', id]);
  }
}

// What the process can see of its own identity, capabilities and root filesystem.
const PROBE = `
const fs = require('node:fs');
const capEff = /CapEff:\\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
const noNewPrivs = /NoNewPrivs:\\s*(\\d)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1];
let write = 'ok';
try { fs.writeFileSync('/app/probe', 'x'); } catch (e) { write = e.code; }
console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(), capEff, noNewPrivs, write }));
`;

describe('herald image (built with buildah from the Dockerfile, no registry)', () => {
  it('holds the runtime stage only: compiled output, production dependencies, the addon, no toolchain', async () => {
    const mb = async (path: string) => Math.round(Number((await mustRun('du', ['-sb', '-x', path])).split('\t')[0]) / 1048576);
    const inspect = JSON.parse(await buildah(['inspect', '--type', 'image', build.image])) as { OCIv1: { rootfs: { diff_ids: string[] } }; History: { created_by?: string; empty_layer?: boolean }[] };
    const layers = inspect.OCIv1.rootfs.diff_ids.length;
    // Figures for the report: the whole image (base included) and what herald adds in /app.
    console.log(JSON.stringify({ image: build.image, sizeMB: await mb(rootfs), appMB: await mb(join(rootfs, 'app')), nodeModulesMB: await mb(join(rootfs, 'app/node_modules')), layers }));
    expect(config.User).toBe('65534:65534');
    expect(config.Entrypoint).toEqual(['herald-controller']);
    expect(config.WorkingDir).toBe('/app');
    for (const p of ['app/packages/speaker/native/build/Release/herald_net.node', 'app/packages/controller/dist/bundle/herald-controller.mjs', 'app/packages/speaker/dist/bundle/herald-speaker.mjs', 'app/node_modules/@kubernetes/client-node', 'app/node_modules/pino']) {
      expect(existsSync(join(rootfs, p)), p).toBe(true);
    }
    // npm prune --omit=dev ran, the build stage's toolchain and sources stayed behind.
    for (const p of ['app/node_modules/typescript', 'app/node_modules/vitest', 'app/node_modules/eslint', 'app/packages/controller/src', 'src', 'usr/bin/g++', 'usr/bin/make']) {
      expect(existsSync(join(rootfs, p)), p).toBe(false);
    }
    // The base's one layer plus one per COPY/RUN of the runtime stage, nothing from the build stage.
    expect(inspect.History.filter((h) => !h.empty_layer)).toHaveLength(layers);
    expect(layers).toBe(1 + stepsWithLayers('runtime'));
  });

  it.each([
    ['controller', 'Deployment', 'herald-controller: assigns addresses', { uid: 65534, capEff: '0000000000000000' }],
    ['speaker', 'DaemonSet', 'herald-speaker: answers ARP/NDP', { uid: 0, capEff: (1 << CAP_BITS.NET_RAW!).toString(16).padStart(16, '0') }],
  ] as const)('%s: the chart\'s command --help runs as its Pod would (%s securityContext)', async (name, kind, usage, expected) => {
    const { container: c, pod, sc } = chartContainer(kind);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    const help = await runAs(`${name}-help`, { pod, sc }, [...c.command!, '--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain(usage);

    const probe = await runAs(`${name}-probe`, { pod, sc }, ['node', '-e', PROBE]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(JSON.parse(probe.stdout)).toEqual({ uid: expected.uid, gid: expected.uid, capEff: expected.capEff, noNewPrivs: '1', write: 'EROFS' });
  }, 120_000);
});
