import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliError } from '../cliError.js';
import { readMetallbFiles } from './readMetallbFiles.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const noStdin = () => Promise.reject(new Error('no stdin'));

describe('readMetallbFiles()', () => {
  it('reads documents and Lists, the legacy ConfigMap and LoadBalancer Services', async () => {
    const p = file('all.yaml', `
apiVersion: v1
kind: List
items:
  - {apiVersion: metallb.io/v1beta1, kind: IPAddressPool, metadata: {name: a, namespace: metallb-system}, spec: {addresses: [192.0.2.0/28]}}
  - {apiVersion: v1, kind: Service, metadata: {name: s, namespace: app}, spec: {type: LoadBalancer}, status: {loadBalancer: {ingress: [{ip: 192.0.2.1}]}}}
  - {apiVersion: v1, kind: Service, metadata: {name: c, namespace: app}, spec: {type: ClusterIP}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: config, namespace: metallb-system}
data:
  config: |
    address-pools: [{name: old, protocol: layer2, addresses: [192.0.2.64/28]}]
`);
    const src = await readMetallbFiles([p], noStdin);
    expect(src.objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['IPAddressPool/a']);
    expect(src.services).toEqual([{ namespace: 'app', name: 's', annotations: {}, addresses: ['192.0.2.1'] }]);
    expect(src.legacy).toEqual({ source: 'metallb-system/config', config: { 'address-pools': [{ name: 'old', protocol: 'layer2', addresses: ['192.0.2.64/28'] }] } });
  });

  it('reads - from stdin', async () => {
    const src = await readMetallbFiles(['-'], async () => '{"apiVersion":"metallb.io/v1beta1","kind":"L2Advertisement","metadata":{"name":"l2"}}');
    expect(src.objects.map((o) => o.kind)).toEqual(['L2Advertisement']);
  });

  it.each([
    { name: 'a missing file', path: join(dir, 'nope.yaml'), message: /cannot read .*nope\.yaml/ },
    { name: 'broken YAML', path: file('bad.yaml', 'kind: [unclosed\n'), message: /document 1 is not valid YAML/ },
    { name: 'an object without a name', path: file('noname.yaml', 'kind: IPAddressPool\nmetadata: {}\n'), message: /document 1 has no kind or metadata.name/ },
    { name: 'a config ConfigMap without data.config', path: file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: config, namespace: metallb-system}\n'), message: /has no data\.config/ },
  ])('$name is a clear error', async ({ path, message }) => {
    const e = await readMetallbFiles([path], noStdin).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliError);
    expect((e as Error).message).toMatch(message);
  });
});
