// The speaker node restriction (charts/herald/templates/speaker-node-restriction.yaml) on the real apiserver:
// speaker tokens bound to a Pod on a node, as the kubelet mounts them, with exactly the chart's RBAC, and the
// policy as helm renders it.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyCrds } from '../cluster/crds.js';
import { adminKubeConfig, cluster, mergePatch } from '../cluster/kube.js';
import { deleteClusterRbac, deleteTokenPods, nodeBoundTokenKubeconfig, serviceAccountKubeconfig } from '../cluster/serviceAccount.js';
import { CHART, helm } from '../install/helm.js';
import { waitFor } from '../processes.js';

const SPEAKER_RBAC = resolve(import.meta.dirname, '../../charts/herald/rbac/speaker.yaml');
const POLICY = 'herald-speaker-node-restriction';

type Outcome = { ok: true } | { ok: false; code: number; message: string };

async function attempt(call: Promise<unknown>): Promise<Outcome> {
  try {
    await call;
    return { ok: true };
  } catch (e) {
    if (!(e instanceof k8s.ApiException)) throw e;
    const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: string };
    return { ok: false, code: e.code, message: status.message ?? '' };
  }
}

/** What one identity can do: Leases in the release namespace, LBAddress status, and who it is. */
function clientsOf(kubeconfig: string, namespace: string) {
  const kc = new k8s.KubeConfig();
  kc.loadFromString(kubeconfig);
  const leases = kc.makeApiClient(k8s.CoordinationV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const auth = kc.makeApiClient(k8s.AuthenticationV1Api);
  return {
    createLease: (name: string) => attempt(leases.createNamespacedLease({ namespace, body: { metadata: { name }, spec: { holderIdentity: name } } })),
    patchLease: (name: string) => attempt(leases.patchNamespacedLease({ namespace, name, body: { spec: { leaseDurationSeconds: 40 } } }, mergePatch)),
    deleteLease: (name: string) => attempt(leases.deleteNamespacedLease({ namespace, name })),
    patchStatus: (name: string, node: string | null) =>
      attempt(custom.patchClusterCustomObjectStatus({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name, body: { status: { node, interface: node ? 'eth0' : null } } }, mergePatch)),
    whoAmI: async () => (await auth.createSelfSubjectReview({ body: {} })).status?.userInfo,
  };
}

describe('speaker node restriction: a speaker writes only its own Lease and LBAddress status naming its own node', () => {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
  const tag = Math.random().toString(36).slice(2, 7);
  const ns = `nr-${tag}`;
  const [nodeA, nodeB] = [`nr-a-${tag}`, `nr-b-${tag}`];
  // Cluster-scoped: suffixed so that a chart installed by another suite (herald-system) is left alone.
  const policyName = `${POLICY}-${ns}`;
  const address = `198.51.100.${200 + Math.floor(Math.random() * 50)}`;
  let asA: ReturnType<typeof clientsOf>;
  let asB: ReturnType<typeof clientsOf>;
  let unbound: ReturnType<typeof clientsOf>;
  let admin: ReturnType<typeof clientsOf>;

  beforeAll(async () => {
    await applyCrds();
    await core.createNamespace({ body: { metadata: { name: ns } } });
    for (const name of [nodeA, nodeB]) await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/os': 'linux' } } } });
    const c = cluster();
    // A token of the speaker ServiceAccount that is not bound to a Pod: what a Secret-based (legacy) token is.
    unbound = clientsOf(await serviceAccountKubeconfig({ kc, cluster: c, namespace: ns, name: 'herald-speaker', rbacFile: SPEAKER_RBAC }), ns);
    asA = clientsOf(await nodeBoundTokenKubeconfig({ kc, cluster: c, namespace: ns, name: 'herald-speaker', node: nodeA }), ns);
    asB = clientsOf(await nodeBoundTokenKubeconfig({ kc, cluster: c, namespace: ns, name: 'herald-speaker', node: nodeB }), ns);
    admin = clientsOf(readFileSync(c.kubeconfigPath, 'utf8'), ns);
    await custom.createClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', body: { apiVersion: 'herald.dev/v1beta1', kind: 'LBAddress', metadata: { name: address }, spec: { address, pool: `nr-${tag}`, services: [] } } });
  }, 180_000);

  afterAll(async () => {
    await admission.deleteValidatingAdmissionPolicyBinding({ name: policyName }).catch(() => undefined);
    await admission.deleteValidatingAdmissionPolicy({ name: policyName }).catch(() => undefined);
    await custom.deleteClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name: address }).catch(() => undefined);
    await deleteTokenPods(kc, ns, 'herald-speaker');
    await core.deleteNamespace({ name: ns }).catch(() => undefined);
    for (const name of [nodeA, nodeB]) await core.deleteNode({ name }).catch(() => undefined);
    await deleteClusterRbac(kc, SPEAKER_RBAC, ns);
  }, 60_000);

  it('a Pod-bound token names its node to the apiserver; without the policy, RBAC alone lets node A take herald-controller and name node B', async () => {
    expect((await asA.whoAmI())?.extra?.['authentication.kubernetes.io/node-name']).toEqual([nodeA]);
    expect((await asB.whoAmI())?.extra?.['authentication.kubernetes.io/node-name']).toEqual([nodeB]);
    expect((await unbound.whoAmI())?.extra?.['authentication.kubernetes.io/node-name']).toBeUndefined();
    // The hole the policy closes (RBAC cannot name "the caller's own node").
    expect(await asA.createLease('herald-controller')).toEqual({ ok: true });
    expect(await asA.patchStatus(address, nodeB)).toEqual({ ok: true });
    expect(await admin.deleteLease('herald-controller')).toEqual({ ok: true });
    expect(await admin.patchStatus(address, null)).toEqual({ ok: true });
  });

  it('with the chart policy, node A is refused every other Lease and status naming node B, with a message naming its node; its own are allowed', async () => {
    const r = await helm(['template', 'herald', CHART, '--namespace', ns, '--kube-version', 'v1.36.4', '--show-only', 'templates/speaker-node-restriction.yaml'], { kubeconfig: cluster().kubeconfigPath });
    if (r.code !== 0) throw new Error(`helm template failed: ${r.stderr}`);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([`ValidatingAdmissionPolicy/${POLICY}`, `ValidatingAdmissionPolicyBinding/${POLICY}`]);
    const [policy, binding] = docs as unknown as [k8s.V1ValidatingAdmissionPolicy, k8s.V1ValidatingAdmissionPolicyBinding];
    policy.metadata!.name = policyName;
    binding.metadata!.name = policyName;
    binding.spec!.policyName = policyName;
    await admission.createValidatingAdmissionPolicy({ body: policy });
    await admission.createValidatingAdmissionPolicyBinding({ body: binding });

    // The apiserver loads policies asynchronously: the first refusal is the marker that it is in force.
    expect(await admin.createLease('herald-controller')).toEqual({ ok: true });
    let first: Outcome = { ok: true };
    await waitFor('the policy to refuse node A the herald-controller Lease', async () => !(first = await asA.patchLease('herald-controller')).ok, { timeoutMs: 30_000, intervalMs: 200 });
    expect(first).toEqual({ ok: false, code: 403, message: expect.stringContaining(`herald-speaker on node "${nodeA}" may only write its own Lease "herald-speaker-${nodeA}", not Lease "herald-controller"`) });

    const ownLease = (n: string) => `may only write its own Lease "herald-speaker-${n}"`;
    const noClaim = `system:serviceaccount:${ns}:herald-speaker may write Leases and LBAddress status only with a token bound to a Pod scheduled on a node`;
    const steps: [string, () => Promise<Outcome>, true | string][] = [
      ['A creates its own Lease', () => asA.createLease(`herald-speaker-${nodeA}`), true],
      ['A renews its own Lease', () => asA.patchLease(`herald-speaker-${nodeA}`), true],
      ['A creates node B\'s Lease', () => asA.createLease(`herald-speaker-${nodeB}`), `herald-speaker on node "${nodeA}" ${ownLease(nodeA)}, not Lease "herald-speaker-${nodeB}"`],
      ['B creates its own Lease', () => asB.createLease(`herald-speaker-${nodeB}`), true],
      ['A renews node B\'s Lease', () => asA.patchLease(`herald-speaker-${nodeB}`), `${ownLease(nodeA)}, not Lease "herald-speaker-${nodeB}"`],
      ['A deletes node B\'s Lease', () => asA.deleteLease(`herald-speaker-${nodeB}`), `${ownLease(nodeA)}, not Lease "herald-speaker-${nodeB}"`],
      ['A deletes the controller\'s Lease', () => asA.deleteLease('herald-controller'), `${ownLease(nodeA)}, not Lease "herald-controller"`],
      ['A creates a Lease of its own choosing', () => asA.createLease('anything'), `${ownLease(nodeA)}, not Lease "anything"`],
      ['A names itself in the status', () => asA.patchStatus(address, nodeA), true],
      ['A names node B in the status', () => asA.patchStatus(address, nodeB), `herald-speaker on node "${nodeA}" may set status.node of LBAddress "${address}" only to its own node or clear it, not to node "${nodeB}"`],
      ['B takes the address over (names itself)', () => asB.patchStatus(address, nodeB), true],
      ['A reports that no node announces (clears the node)', () => asA.patchStatus(address, null), true],
      ['a token not bound to a Pod writes a Lease', () => unbound.createLease(`herald-speaker-${nodeA}-x`), noClaim],
      ['a token not bound to a Pod clears the status', () => unbound.patchStatus(address, null), noClaim],
      ['A deletes its own Lease', () => asA.deleteLease(`herald-speaker-${nodeA}`), true],
      ['other users (the admin) are not restricted', () => admin.patchLease('herald-controller'), true],
    ];
    const seen: string[] = [];
    for (const [what, step, expected] of steps) {
      const outcome = await step();
      const ok = expected === true ? outcome.ok : !outcome.ok && outcome.code === 403 && outcome.message.includes(expected);
      seen.push(`${ok ? 'as expected' : 'WRONG'}: ${what} -> ${outcome.ok ? 'allowed' : `${outcome.code} ${outcome.message}`}`);
    }
    expect(seen.filter((s) => s.startsWith('WRONG')), seen.join('\n')).toEqual([]);
    // The refusals left the objects as the allowed writes made them.
    const lba = (await custom.getClusterCustomObject({ group: 'herald.dev', version: 'v1beta1', plural: 'lbaddresses', name: address })) as { status?: { node?: string } };
    expect(lba.status?.node).toBeUndefined();
    expect((await kc.makeApiClient(k8s.CoordinationV1Api).readNamespacedLease({ namespace: ns, name: `herald-speaker-${nodeB}` })).spec?.holderIdentity).toBe(`herald-speaker-${nodeB}`);
  });
});
