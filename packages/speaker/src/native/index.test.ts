import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// The loader only; the sockets themselves are proven in real namespaces by test/speaker/native.test.ts.
describe('loading herald_net', () => {
  afterEach(() => vi.restoreAllMocks());

  it('does not load the addon when the wrapper is imported', async () => {
    const dlopen = vi.spyOn(process, 'dlopen');
    const native = await import('./index.js');
    expect(typeof native.PacketSocket).toBe('function');
    expect(dlopen).not.toHaveBeenCalled();
  });

  it('looks for the node-gyp output of this package, Release before Debug', async () => {
    const { addonCandidates } = await import('./index.js');
    const root = join(import.meta.dirname, '../../');
    expect(addonCandidates()).toEqual([
      join(root, 'native/build/Release/herald_net.node'),
      join(root, 'native/build/Debug/herald_net.node'),
    ]);
  });

  it('lists every path it tried when the addon is nowhere', async () => {
    const { loadAddon } = await import('./index.js');
    const tried = ['/nonexistent/hrl/Release/herald_net.node', '/nonexistent/hrl/Debug/herald_net.node'];
    let error: (Error & { code?: string; tried?: string[] }) | undefined;
    try {
      loadAddon(tried);
    } catch (e) {
      error = e as typeof error;
    }
    expect(error?.code).toBe('ERR_HERALD_NATIVE_NOT_FOUND');
    expect(error?.tried).toEqual(tried);
    expect(error?.message).toContain(`Tried:\n  ${tried[0]}\n  ${tried[1]}`);
    expect(error?.message).toContain('npm run build:native');
  });

  it('reports a file that exists but cannot be loaded as that, not as missing', async () => {
    const { loadAddon } = await import('./index.js');
    const dir = mkdtempSync(join(tmpdir(), 'hrl-addon-'));
    try {
      const broken = join(dir, 'herald_net.node');
      writeFileSync(broken, 'not an ELF object');
      expect(() => loadAddon(['/nonexistent/hrl/herald_net.node', broken])).toThrow(`herald_net: ${broken} exists but could not be loaded`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
