// manifests/herald.yaml is rendered from the chart by scripts/render-manifests.sh and must stay in step with it.
import type { V1CustomResourceDefinition, V1DaemonSet, V1Namespace } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mustRun } from '../run.js';
import { ROOT, find, kindsAndNames, parseObjects } from './helm.js';

const COMMITTED = join(ROOT, 'manifests/herald.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'herald-manifests-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('manifests/herald.yaml', () => {
  it('is what scripts/render-manifests.sh renders from the chart now', async () => {
    const fresh = join(scratch, 'herald.yaml');
    await mustRun('bash', [join(ROOT, 'scripts/render-manifests.sh'), fresh], { timeoutMs: 900_000 });
    const rendered = readFileSync(fresh, 'utf8');
    // Rendering twice gives the same bytes: nothing random (such as a generated key) is in the file.
    await mustRun('bash', [join(ROOT, 'scripts/render-manifests.sh'), fresh], { timeoutMs: 900_000 });
    expect(readFileSync(fresh, 'utf8'), 'the render is not deterministic').toBe(rendered);
    let committed = '';
    try {
      committed = readFileSync(COMMITTED, 'utf8');
    } catch {
      expect.fail('manifests/herald.yaml is missing: run scripts/render-manifests.sh');
    }
    if (committed !== rendered) expect.fail('manifests/herald.yaml is out of date: run scripts/render-manifests.sh');
  });

  it('holds the privileged herald-system Namespace first, then the CRDs, then the chart without a heartbeat key', () => {
    const text = readFileSync(COMMITTED, 'utf8');
    const objects = parseObjects(text);
    const ns = objects[0] as unknown as V1Namespace;
    expect(ns.kind).toBe('Namespace');
    expect(ns.metadata!.name).toBe('herald-system');
    expect(ns.metadata!.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
    expect(objects.slice(1, 4).map((o) => (o as unknown as V1CustomResourceDefinition).metadata!.name).sort()).toEqual([
      'ipaddresspools.herald.dev',
      'l2advertisements.herald.dev',
      'lbaddresses.herald.dev',
    ]);
    expect(kindsAndNames(objects)).toEqual(
      [
        'Namespace/herald-system',
        'CustomResourceDefinition/ipaddresspools.herald.dev',
        'CustomResourceDefinition/l2advertisements.herald.dev',
        'CustomResourceDefinition/lbaddresses.herald.dev',
        'ServiceAccount/herald-controller',
        'ServiceAccount/herald-speaker',
        'ClusterRole/herald-controller',
        'ClusterRole/herald-speaker',
        'ClusterRoleBinding/herald-controller',
        'ClusterRoleBinding/herald-speaker',
        'Role/herald-controller',
        'Role/herald-speaker',
        'RoleBinding/herald-controller',
        'RoleBinding/herald-speaker',
        'Service/herald-controller-metrics',
        'Service/herald-speaker-metrics',
        'DaemonSet/herald-speaker',
        'Deployment/herald-controller',
        'ValidatingAdmissionPolicy/herald-speaker-node-restriction',
        'ValidatingAdmissionPolicyBinding/herald-speaker-node-restriction',
        'FlowSchema/herald-leases',
        'PriorityLevelConfiguration/herald-leases',
      ].sort(),
    );
    for (const o of objects.slice(4)) if (!o.kind.startsWith('Cluster') && !o.kind.startsWith('ValidatingAdmissionPolicy') && !o.apiVersion.startsWith('flowcontrol.')) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('herald-system');
    // No Secret: the header says how to create one; the speakers mount it by name.
    expect(text).toContain('kubectl create secret generic herald-memberlist -n herald-system');
    expect(find<V1DaemonSet>(objects, 'DaemonSet', 'herald-speaker').spec!.template.spec!.volumes![0]!.secret!.secretName).toBe('herald-memberlist');
  });
});
