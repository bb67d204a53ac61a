// charts/herald rendered by helm 4 and helm 3 (no cluster): lint, the objects each value set produces, the
// values schema's refusals and the template's own failures.
import type { V1ClusterRole, V1Container, V1DaemonSet, V1Deployment, V1FlowSchema, V1PolicyRule, V1PriorityLevelConfiguration, V1Role, V1Secret, V1Service } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART, type Helm, KUBE_VERSION, type KubeObject, NAMESPACE, ROOT, find, helmBinaries, kindsAndNames, mustTemplate, removeScratch, scratchPath, template, valuesFile } from './helm.js';
import { run } from '../run.js';
import { IMAGE_NODE_OPTIONS } from '../processes.js';
import { startFakeApiserver } from './fakeApiserver.js';

let helms: Helm[] = [];
beforeAll(async () => {
  helms = await helmBinaries();
}, 900_000);
afterAll(removeScratch);

/** Runs `check` with helm 4 and with helm 3: the chart must behave the same under both. */
async function eachHelm(check: (helm: Helm) => Promise<void>): Promise<void> {
  expect(helms.map((h) => h.name)).toEqual(['helm4', 'helm3']);
  for (const helm of helms) {
    try {
      await check(helm);
    } catch (e) {
      if (e instanceof Error) e.message = `[${helm.name}] ${e.message}`;
      throw e;
    }
  }
}

const POOLS = {
  addressPools: [
    {
      name: 'lan',
      addresses: ['192.0.2.64/26', '192.0.2.200-192.0.2.210', '2001:db8:1::/120'],
      avoidBuggyIPs: true,
      labels: { tier: 'edge' },
      serviceAllocation: { priority: 10, namespaces: ['team-a'], serviceSelectors: [{ matchLabels: { app: 'web' } }] },
      l2: { interfaces: ['eth0', 'bond0.100'], nodeSelectors: [{ matchLabels: { 'node-role.example/edge': 'true' } }] },
    },
    { name: 'v6-only', addresses: ['2001:db8:2::10-2001:db8:2::1f'], autoAssign: false },
    { name: 'quiet', addresses: ['198.51.100.7'], l2: { enabled: false } },
  ],
};

const METALLB = `
configInline:
  address-pools:
    - name: default
      protocol: layer2
      addresses:
        - 192.0.2.240 - 192.0.2.250
        - 2001:db8:3::/124
      auto-assign: false
      avoid-buggy-ips: true
    - name: second
      protocol: layer2
      addresses: [203.0.113.0/28]
`;

const PROMETHEUS = {
  prometheus: {
    serviceMonitor: { enabled: true, additionalLabels: { release: 'kps' }, interval: '30s' },
    podMonitor: { enabled: true },
    prometheusRule: { enabled: true, additionalLabels: { release: 'kps' } },
  },
};

const STANDARD_OBJECTS = [
  'ClusterRole/herald-controller',
  'ClusterRole/herald-speaker',
  'ClusterRoleBinding/herald-controller',
  'ClusterRoleBinding/herald-speaker',
  'DaemonSet/herald-speaker',
  'Deployment/herald-controller',
  'FlowSchema/herald-leases',
  'PriorityLevelConfiguration/herald-leases',
  'Role/herald-controller',
  'Role/herald-speaker',
  'RoleBinding/herald-controller',
  'RoleBinding/herald-speaker',
  'Secret/herald-memberlist',
  'Service/herald-controller-metrics',
  'Service/herald-speaker-metrics',
  'ServiceAccount/herald-controller',
  'ServiceAccount/herald-speaker',
  'ValidatingAdmissionPolicy/herald-speaker-node-restriction',
  'ValidatingAdmissionPolicyBinding/herald-speaker-node-restriction',
];
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding', 'FlowSchema', 'PriorityLevelConfiguration', 'IPAddressPool', 'L2Advertisement', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding']);

const container = (objects: KubeObject[], kind: 'Deployment' | 'DaemonSet', name: string): V1Container => {
  const w = find<V1Deployment | V1DaemonSet>(objects, kind, name);
  expect(w.spec!.template.spec!.containers).toHaveLength(1);
  return w.spec!.template.spec!.containers[0]!;
};

/** The rules of the `kind` document of charts/herald/rbac/<file>: what the integration tests prove. */
function rbacFileRules(file: string, kind: 'ClusterRole' | 'Role'): V1PolicyRule[] {
  const docs = parseAllDocuments(readFileSync(join(CHART, 'rbac', file), 'utf8')).map((d) => d.toJS() as { kind: string; rules: V1PolicyRule[] });
  const matching = docs.filter((d) => d?.kind === kind);
  expect(matching, `${file} has one ${kind}`).toHaveLength(1);
  return matching[0]!.rules;
}

describe('helm lint', () => {
  it.each([
    ['default values', undefined],
    ['address pools', POOLS],
    ['MetalLB configInline', METALLB],
    ['Prometheus objects', PROMETHEUS],
  ])('passes --strict with %s under helm 4 and helm 3', async (_name, values) => {
    await eachHelm(async (helm) => {
      const args = ['lint', CHART, '--strict', '--namespace', NAMESPACE, '--kube-version', KUBE_VERSION, ...(values === undefined ? [] : ['-f', valuesFile(values)])];
      const r = await run(helm.path, args);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    });
  });
});

describe('default values', () => {
  it('render exactly the fixed set of objects, namespaced ones in the release namespace, all with the standard labels', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm);
      expect(kindsAndNames(objects)).toEqual(STANDARD_OBJECTS);
      for (const o of objects) {
        const where = `${o.kind}/${o.metadata.name}`;
        if (CLUSTER_SCOPED.has(o.kind)) expect(o.metadata.namespace, where).toBeUndefined();
        else expect(o.metadata.namespace, where).toBe(NAMESPACE);
        expect(o.metadata.labels, where).toMatchObject({
          'app.kubernetes.io/name': 'herald',
          'app.kubernetes.io/instance': 'herald',
          'app.kubernetes.io/managed-by': 'Helm',
          'helm.sh/chart': 'herald-0.1.0',
        });
        // The API Priority and Fairness objects serve both components.
        const component = o.apiVersion.startsWith('flowcontrol.') ? 'config' : o.metadata.name.includes('speaker') || o.kind === 'Secret' ? 'speaker' : 'controller';
        expect(o.metadata.labels!['app.kubernetes.io/component'], where).toBe(component);
      }
    });
  });

  it('render the release namespace into objects, arguments and bindings (install with -n)', async () => {
    await eachHelm(async (helm) => {
      const r = await run(helm.path, ['template', 'herald', CHART, '--namespace', 'lb-system', '--kube-version', KUBE_VERSION]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toContain(NAMESPACE);
      expect(r.stdout).toContain('--namespace=lb-system');
    });
  });

  it('restrict the speaker ServiceAccount of the release to its own node (ValidatingAdmissionPolicy, proven in test/speaker/nodeRestriction.test.ts)', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, {}, ['--namespace', 'lb-system']);
      const policy = find<{ spec: { failurePolicy: string; matchConditions: { expression: string }[]; matchConstraints: { resourceRules: { resources: string[]; operations: string[] }[] } } }>(objects, 'ValidatingAdmissionPolicy', 'herald-speaker-node-restriction');
      expect(policy.spec.failurePolicy).toBe('Fail');
      expect(policy.spec.matchConditions).toEqual([{ name: 'herald-speaker', expression: `request.userInfo.username == "system:serviceaccount:lb-system:herald-speaker"` }]);
      expect(policy.spec.matchConstraints.resourceRules.map((r) => `${r.resources.join()}:${r.operations.join()}`)).toEqual(['leases:CREATE,UPDATE,DELETE', 'lbaddresses/status:UPDATE']);
      const binding = find<{ spec: unknown }>(objects, 'ValidatingAdmissionPolicyBinding', 'herald-speaker-node-restriction');
      expect(binding.spec).toEqual({ policyName: 'herald-speaker-node-restriction', validationActions: ['Deny'] });
      const off = await mustTemplate(helm, { speaker: { nodeRestriction: { enabled: false } } });
      expect(off.filter((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))).toEqual([]);
    });
  });

  it('put the release\'s controller and speaker Lease requests in priority level herald-leases, with seats never lent (API Priority and Fairness, proven in test/chart/flowControl.test.ts)', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, { flowControl: { leaseConcurrencyShares: 20 } }, ['--namespace', 'lb-system']);
      const level = find<V1PriorityLevelConfiguration>(objects, 'PriorityLevelConfiguration', 'herald-leases');
      expect(level.apiVersion).toBe('flowcontrol.apiserver.k8s.io/v1');
      expect(level.spec!.type).toBe('Limited');
      expect(level.spec!.limited).toMatchObject({ nominalConcurrencyShares: 20, lendablePercent: 0, limitResponse: { type: 'Queue' } });
      const schema = find<V1FlowSchema>(objects, 'FlowSchema', 'herald-leases');
      expect(schema.spec!.priorityLevelConfiguration).toEqual({ name: 'herald-leases' });
      // Before kube-system-service-accounts (900) and service-accounts (9000).
      expect(schema.spec!.matchingPrecedence).toBeLessThan(900);
      expect(schema.spec!.distinguisherMethod).toEqual({ type: 'ByUser' });
      expect(schema.spec!.rules).toEqual([{
        subjects: ['herald-controller', 'herald-speaker'].map((name) => ({ kind: 'ServiceAccount', serviceAccount: { name, namespace: 'lb-system' } })),
        resourceRules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['*'], namespaces: ['lb-system'] }],
      }]);
      const off = await mustTemplate(helm, { flowControl: { enabled: false } });
      expect(off.filter((o) => o.apiVersion.startsWith('flowcontrol.'))).toEqual([]);
      expect((await template(helm, { flowControl: { leaseConcurrencyShares: 0 } })).ok).toBe(false);
    });
  });

  it('run the controller as a non-root, read-only, capability-free Deployment of 2 with probes and leader-election env', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm);
      const d = find<V1Deployment>(objects, 'Deployment', 'herald-controller');
      const pod = d.spec!.template.spec!;
      expect(d.spec!.replicas).toBe(2);
      expect(d.spec!.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/instance': 'herald', 'app.kubernetes.io/component': 'controller' });
      expect(d.spec!.template.metadata!.labels).toMatchObject(d.spec!.selector.matchLabels!);
      expect(pod.serviceAccountName).toBe('herald-controller');
      expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, fsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } });
      expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
      expect(pod.tolerations).toBeUndefined();
      expect(pod.priorityClassName).toBeUndefined();
      expect(pod.affinity).toEqual({
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: d.spec!.selector.matchLabels } } },
          ],
        },
      });
      const c = container(objects, 'Deployment', 'herald-controller');
      expect(c.image).toBe('ghcr.io/herald-lb/herald:0.1.0');
      expect(c.imagePullPolicy).toBe('IfNotPresent');
      expect(c.command).toEqual(['herald-controller']);
      expect(c.args).toEqual(['--namespace=herald-system', '--log-level=info', '--metrics-address=:7472', '--health-address=:7473']);
      expect(c.env).toEqual([
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        // The image's flags plus a heap cap under the 256Mi limit (scale bench: 10,000 Services).
        { name: 'NODE_OPTIONS', value: [...IMAGE_NODE_OPTIONS, '--max-old-space-size=160'].join(' ') },
      ]);
      expect(c.ports).toEqual([
        { name: 'metrics', containerPort: 7472, protocol: 'TCP' },
        { name: 'health', containerPort: 7473, protocol: 'TCP' },
      ]);
      expect(c.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(c.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(c.resources!.requests).toEqual({ cpu: '20m', memory: '128Mi' });
      expect(c.resources!.limits).toEqual({ memory: '256Mi' });
    });
  });

  it('run the speaker on the host network of every Linux node, control plane included, as root with exactly [NET_RAW]', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm);
      const ds = find<V1DaemonSet>(objects, 'DaemonSet', 'herald-speaker');
      const pod = ds.spec!.template.spec!;
      expect(ds.spec!.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/instance': 'herald', 'app.kubernetes.io/component': 'speaker' });
      expect(ds.spec!.template.metadata!.labels).toMatchObject(ds.spec!.selector.matchLabels!);
      expect(ds.spec!.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
      expect(pod.serviceAccountName).toBe('herald-speaker');
      expect(pod.hostNetwork).toBe(true);
      expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
      expect(pod.terminationGracePeriodSeconds).toBe(10);
      expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
      expect(pod.tolerations).toEqual([
        { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
        { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
      ]);
      expect(pod.securityContext).toEqual({ seccompProfile: { type: 'RuntimeDefault' } });
      const c = container(objects, 'DaemonSet', 'herald-speaker');
      expect(c.command).toEqual(['herald-speaker']);
      expect(c.image).toBe('ghcr.io/herald-lb/herald:0.1.0');
      expect(c.securityContext).toEqual({
        runAsUser: 0,
        runAsGroup: 0,
        runAsNonRoot: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
      });
      expect(c.args).toEqual([
        '--namespace=herald-system',
        '--log-level=info',
        '--heartbeat-port=7947',
        '--heartbeat-interval=100',
        '--dead-after=5',
        '--metrics-address=$(POD_IP):7472',
        '--health-address=$(POD_IP):7473',
        '--secret-key-file=/etc/herald/memberlist/secretkey',
        '--garp-refresh=0',
        '--handover-timeout=2000',
        '--exclude-interfaces=docker*,cbr*,dummy*,virbr*,lxcbr*,veth*,lo,cali*,tunl*,flannel*,kube-ipvs*,cni*,nodelocaldns,lxc*,cilium*,vxlan*',
        '--key-grace=120000',
        '--membership-thread-priority=off',
      ]);
      expect(c.env).toEqual([
        { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'HERALD_HEARTBEAT_ADDRESS', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'NODE_OPTIONS', value: [...IMAGE_NODE_OPTIONS, '--max-old-space-size=160'].join(' ') },
      ]);
      expect(c.ports).toEqual([
        { name: 'metrics', containerPort: 7472, protocol: 'TCP' },
        { name: 'health', containerPort: 7473, protocol: 'TCP' },
        { name: 'heartbeat', containerPort: 7947, protocol: 'UDP' },
      ]);
      // The kubelet probes the pod IP (= node IP on the host network), where the health server listens;
      // no probe host field (Pod Security baseline forbids it since 1.34).
      expect(c.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'health' });
      expect(c.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'health' });
      expect(c.volumeMounts).toEqual([{ name: 'memberlist', mountPath: '/etc/herald/memberlist', readOnly: true }]);
      expect(pod.volumes).toEqual([
        { name: 'memberlist', secret: { secretName: 'herald-memberlist', defaultMode: 0o400, items: [{ key: 'secretkey', path: 'secretkey' }] } },
      ]);
    });
  });

  it.each(['nice', 'realtime', 'deadline'] as const)('membershipThreadPriority %s: passed to the speaker, and CAP_SYS_NICE added for it', async (priority) => {
    await eachHelm(async (helm) => {
      const c = find<V1DaemonSet>(await mustTemplate(helm, { speaker: { membershipThreadPriority: priority } }), 'DaemonSet', 'herald-speaker').spec!.template.spec!.containers[0]!;
      expect(c.args).toContain(`--membership-thread-priority=${priority}`);
      expect(c.securityContext!.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW', 'SYS_NICE'] });
      // The deadline budget goes to the speaker only with deadline (its default 2 ms every 10 ms).
      const budget = c.args!.filter((a) => a.startsWith('--membership-thread-deadline-'));
      expect(budget).toEqual(priority === 'deadline' ? ['--membership-thread-deadline-runtime=2000', '--membership-thread-deadline-period=10000'] : []);
    });
  });

  it('membershipThreadDeadline: the budget given is passed with deadline', async () => {
    await eachHelm(async (helm) => {
      const values = { speaker: { membershipThreadPriority: 'deadline', membershipThreadDeadline: { runtimeUs: 500, periodUs: 20000 } } };
      const c = find<V1DaemonSet>(await mustTemplate(helm, values), 'DaemonSet', 'herald-speaker').spec!.template.spec!.containers[0]!;
      expect(c.args!.filter((a) => a.startsWith('--membership-thread-deadline-'))).toEqual(['--membership-thread-deadline-runtime=500', '--membership-thread-deadline-period=20000']);
    });
  });

  it('generate a fresh 32-byte heartbeat key in Secret herald-memberlist (lookup finds nothing without a cluster)', async () => {
    await eachHelm(async (helm) => {
      const keys = [];
      for (let i = 0; i < 2; i++) {
        const secret = find<V1Secret>(await mustTemplate(helm), 'Secret', 'herald-memberlist');
        expect(Object.keys(secret.data!)).toEqual(['secretkey']);
        const key = Buffer.from(secret.data!.secretkey!, 'base64');
        expect(key).toHaveLength(32);
        expect(secret.metadata!.annotations?.['helm.sh/resource-policy']).toBeUndefined();
        keys.push(key.toString('hex'));
      }
      expect(keys[0]).not.toBe(keys[1]);
    });
  });

  it('bind exactly the rules of rbac/controller.yaml and rbac/speaker.yaml to the ServiceAccounts', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm);
      for (const component of ['controller', 'speaker']) {
        const name = `herald-${component}`;
        expect(find<V1ClusterRole>(objects, 'ClusterRole', name).rules).toEqual(rbacFileRules(`${component}.yaml`, 'ClusterRole'));
        expect(find<V1Role>(objects, 'Role', name).rules).toEqual(rbacFileRules(`${component}.yaml`, 'Role'));
        for (const kind of ['ClusterRoleBinding', 'RoleBinding']) {
          const binding = find<{ roleRef: unknown; subjects: unknown }>(objects, kind, name);
          expect(binding.roleRef, `${kind}/${name}`).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: kind.replace('Binding', ''), name });
          expect(binding.subjects, `${kind}/${name}`).toEqual([{ kind: 'ServiceAccount', name, namespace: NAMESPACE }]);
        }
      }
    });
  });

  it('expose metrics through headless Services that select the pods of their workload', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm);
      for (const [component, kind] of [
        ['controller', 'Deployment'],
        ['speaker', 'DaemonSet'],
      ] as const) {
        const svc = find<V1Service>(objects, 'Service', `herald-${component}-metrics`);
        const workload = find<V1Deployment | V1DaemonSet>(objects, kind, `herald-${component}`);
        expect(svc.spec!.clusterIP).toBe('None');
        expect(svc.spec!.selector).toEqual(workload.spec!.selector.matchLabels);
        expect(svc.spec!.ports).toEqual([{ name: 'metrics', port: 7472, targetPort: 'metrics', protocol: 'TCP' }]);
      }
    });
  });
});

describe('the heartbeat key on upgrade (lookup, against a fake apiserver)', () => {
  const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/herald-memberlist`;
  const existingKey = Buffer.from('key-from-the-first-install-0123456789').toString('base64');
  // An object of this release, as helm 4 checks ownership before it renders over an existing object.
  const existing = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'herald-memberlist', namespace: NAMESPACE, labels: { 'app.kubernetes.io/managed-by': 'Helm' }, annotations: { 'meta.helm.sh/release-name': 'herald', 'meta.helm.sh/release-namespace': NAMESPACE } },
    type: 'Opaque',
    data: { secretkey: existingKey },
  };

  async function renderedKey(helm: Helm, objects: Record<string, unknown>, values: unknown = {}): Promise<{ key: string; gets: string[] }> {
    const api = await startFakeApiserver(scratchPath('kubeconfig'), objects);
    try {
      const objectsOut = await mustTemplate(helm, values, ['--dry-run=server', '--kubeconfig', api.kubeconfig, '--disable-openapi-validation']);
      return { key: find<V1Secret>(objectsOut, 'Secret', 'herald-memberlist').data!.secretkey!, gets: api.gets };
    } finally {
      await api.close();
    }
  }

  it("an existing Secret's key is kept", async () => {
    await eachHelm(async (helm) => {
      const { key, gets } = await renderedKey(helm, { [SECRET_PATH]: existing });
      expect(gets).toContain(SECRET_PATH);
      expect(key).toBe(existingKey);
    });
  });

  it('without a Secret in the cluster a new 32-byte key is generated', async () => {
    await eachHelm(async (helm) => {
      const { key, gets } = await renderedKey(helm, {});
      expect(gets).toContain(SECRET_PATH);
      expect(Buffer.from(key, 'base64')).toHaveLength(32);
      expect(key).not.toBe(existingKey);
    });
  });

  it('memberlist.secretKey replaces the existing key', async () => {
    await eachHelm(async (helm) => {
      const { key } = await renderedKey(helm, { [SECRET_PATH]: existing }, { memberlist: { secretKey: 'a-new-key-rotated-on-purpose' } });
      expect(Buffer.from(key, 'base64').toString()).toBe('a-new-key-rotated-on-purpose');
    });
  });
});

describe('value sets', () => {
  it('addressPools become IPAddressPools and <name>-l2 L2Advertisements (IPv6, interfaces, node selectors, l2 off)', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, POOLS);
      expect(kindsAndNames(objects).filter((k) => k.startsWith('IPAddressPool/') || k.startsWith('L2Advertisement/'))).toEqual([
        'IPAddressPool/lan',
        'IPAddressPool/quiet',
        'IPAddressPool/v6-only',
        'L2Advertisement/lan-l2',
        'L2Advertisement/v6-only-l2',
      ]);
      const lan = find(objects, 'IPAddressPool', 'lan');
      expect(lan.apiVersion).toBe('herald.dev/v1beta1');
      expect(lan.metadata.labels).toMatchObject({ tier: 'edge', 'app.kubernetes.io/name': 'herald', 'app.kubernetes.io/component': 'config' });
      expect(lan.spec).toEqual({
        addresses: ['192.0.2.64/26', '192.0.2.200-192.0.2.210', '2001:db8:1::/120'],
        avoidBuggyIPs: true,
        serviceAllocation: { priority: 10, namespaces: ['team-a'], serviceSelectors: [{ matchLabels: { app: 'web' } }] },
      });
      // Unset fields stay unset, so the CRD's defaults apply; an explicit false is kept.
      expect(find(objects, 'IPAddressPool', 'v6-only').spec).toEqual({ addresses: ['2001:db8:2::10-2001:db8:2::1f'], autoAssign: false });
      expect(find(objects, 'IPAddressPool', 'quiet').spec).toEqual({ addresses: ['198.51.100.7'] });
      const lanL2 = find(objects, 'L2Advertisement', 'lan-l2');
      expect(lanL2.apiVersion).toBe('herald.dev/v1beta1');
      expect(lanL2.metadata.namespace).toBeUndefined();
      expect(lanL2.spec).toEqual({
        ipAddressPools: ['lan'],
        interfaces: ['eth0', 'bond0.100'],
        nodeSelectors: [{ matchLabels: { 'node-role.example/edge': 'true' } }],
      });
      expect(find(objects, 'L2Advertisement', 'v6-only-l2').spec).toEqual({ ipAddressPools: ['v6-only'] });
    });
  });

  it('a MetalLB configInline becomes the same objects, each layer2 pool announced like MetalLB < 0.13 did', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, METALLB);
      expect(kindsAndNames(objects).filter((k) => !STANDARD_OBJECTS.includes(k))).toEqual([
        'IPAddressPool/default',
        'IPAddressPool/second',
        'L2Advertisement/default-l2',
        'L2Advertisement/second-l2',
      ]);
      // MetalLB trimmed the blanks around "-" in a range; the CRD does not accept them.
      expect(find(objects, 'IPAddressPool', 'default').spec).toEqual({ addresses: ['192.0.2.240-192.0.2.250', '2001:db8:3::/124'], autoAssign: false, avoidBuggyIPs: true });
      expect(find(objects, 'IPAddressPool', 'second').spec).toEqual({ addresses: ['203.0.113.0/28'] });
      expect(find(objects, 'L2Advertisement', 'default-l2').spec).toEqual({ ipAddressPools: ['default'] });
      expect(find(objects, 'L2Advertisement', 'second-l2').spec).toEqual({ ipAddressPools: ['second'] });
    });
  });

  it('loadBalancerClass is passed to both components as --lb-class', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, { loadBalancerClass: 'example.com/herald' });
      for (const [kind, name] of [
        ['Deployment', 'herald-controller'],
        ['DaemonSet', 'herald-speaker'],
      ] as const) {
        const args = container(objects, kind, name).args!;
        expect(args.filter((a) => a.startsWith('--lb-class')), name).toEqual(['--lb-class=example.com/herald']);
        expect(args[1], name).toBe('--lb-class=example.com/herald');
      }
    });
  });

  const HEAP: [string, Record<string, unknown>, number | undefined][] = [
    ['an explicit maxHeapMiB', { maxHeapMiB: 200 }, 200],
    ['an explicit cap over the limit', { maxHeapMiB: 300, resources: { limits: { memory: '1Gi' } } }, 300],
    ['a limit in Mi', { resources: { limits: { memory: '384Mi' } } }, 288],
    ['a limit in Gi', { resources: { limits: { memory: '1Gi' } } }, 928],
    ['a limit too small for the rest', { resources: { limits: { memory: '100Mi' } } }, 32],
    ['a limit in bytes (no cap)', { resources: { limits: { memory: 268435456 } } }, undefined],
    ['no memory limit (no cap)', { resources: { limits: null } }, undefined],
  ];
  const COMPONENTS = [
    ['controller', 'Deployment', 'herald-controller'],
    ['speaker', 'DaemonSet', 'herald-speaker'],
  ] as const;

  it.each(HEAP)('the heap cap from %s, for the controller and the speaker', async (_name, values, mib) => {
    await eachHelm(async (helm) => {
      for (const [component, kind, name] of COMPONENTS) {
        const objects = await mustTemplate(helm, { [component]: values });
        const nodeOptions = (container(objects, kind, name).env ?? []).find((e) => e.name === 'NODE_OPTIONS');
        if (mib === undefined) expect(nodeOptions, component).toBeUndefined();
        else expect(nodeOptions, component).toEqual({ name: 'NODE_OPTIONS', value: [...IMAGE_NODE_OPTIONS, `--max-old-space-size=${mib}`].join(' ') });
        // The other component keeps the default cap.
        const other = COMPONENTS.find((c) => c[0] !== component)!;
        expect((container(objects, other[1], other[2]).env ?? []).find((e) => e.name === 'NODE_OPTIONS')?.value, component).toContain('--max-old-space-size=160');
      }
    });
  });

  it('controller.replicas 3 gives 3 replicas', async () => {
    await eachHelm(async (helm) => {
      expect(find<V1Deployment>(await mustTemplate(helm, { controller: { replicas: 3 } }), 'Deployment', 'herald-controller').spec!.replicas).toBe(3);
    });
  });

  it('component settings reach the pods: log levels, heartbeat, ports, tolerations, selectors, priority, affinity', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, {
        image: { repository: 'registry.example/herald', tag: 'dev', pullPolicy: 'Always' },
        imagePullSecrets: [{ name: 'pull' }],
        controller: { logLevel: 'debug', tolerations: [{ key: 'x', operator: 'Exists' }], nodeSelector: { zone: 'a', 'kubernetes.io/os': 'windows' }, affinity: { nodeAffinity: {} }, priorityClassName: 'high' },
        speaker: {
          logLevel: 'warn',
          tolerateControlPlane: false,
          tolerations: [{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }],
          nodeSelector: { lan: 'yes' },
          priorityClassName: 'system-node-critical',
          metricsPort: 9472,
          healthPort: 9473,
          heartbeat: { port: 9947, intervalMs: 50, deadAfter: 4, addressSource: 'auto' },
          handoverTimeoutMs: 5000,
          terminationGracePeriodSeconds: 20,
          excludeInterfaces: ['cali*', 'eni?*'],
        },
        memberlist: { rotationGraceMs: 300000 },
      });
      const controller = find<V1Deployment>(objects, 'Deployment', 'herald-controller').spec!.template.spec!;
      expect(controller.containers[0]!.image).toBe('registry.example/herald:dev');
      expect(controller.containers[0]!.imagePullPolicy).toBe('Always');
      expect(controller.imagePullSecrets).toEqual([{ name: 'pull' }]);
      expect(controller.containers[0]!.args).toContain('--log-level=debug');
      expect(controller.tolerations).toEqual([{ key: 'x', operator: 'Exists' }]);
      // herald runs on Linux only: the os selector is not overridable.
      expect(controller.nodeSelector).toEqual({ zone: 'a', 'kubernetes.io/os': 'linux' });
      expect(controller.affinity).toEqual({ nodeAffinity: {} });
      expect(controller.priorityClassName).toBe('high');
      const speaker = find<V1DaemonSet>(objects, 'DaemonSet', 'herald-speaker').spec!.template.spec!;
      const c = speaker.containers[0]!;
      expect(speaker.tolerations).toEqual([{ key: 'edge', operator: 'Exists', effect: 'NoSchedule' }]);
      expect(speaker.nodeSelector).toEqual({ lan: 'yes', 'kubernetes.io/os': 'linux' });
      expect(speaker.priorityClassName).toBe('system-node-critical');
      expect(speaker.terminationGracePeriodSeconds).toBe(20);
      expect(c.args).toEqual(
        expect.arrayContaining(['--log-level=warn', '--heartbeat-port=9947', '--heartbeat-interval=50', '--dead-after=4', '--metrics-address=$(POD_IP):9472', '--health-address=$(POD_IP):9473', '--handover-timeout=5000', '--exclude-interfaces=cali*,eni?*', '--key-grace=300000']),
      );
      expect(c.env!.map((e) => e.name)).toEqual(['NODE_NAME', 'POD_NAMESPACE', 'POD_IP', 'NODE_OPTIONS']);
      expect(c.ports!.map((p) => `${p.name}:${p.containerPort}/${p.protocol}`)).toEqual(['metrics:9472/TCP', 'health:9473/TCP', 'heartbeat:9947/UDP']);
      expect(find<V1Service>(objects, 'Service', 'herald-speaker-metrics').spec!.ports![0]!.port).toBe(9472);
    });
  });

  it.each([
    ['podIP (the default)', undefined, '--metrics-address=$(POD_IP):7472'],
    ['all: every interface of the node', 'all', '--metrics-address=:7472'],
    ['an IPv4 address', '127.0.0.1', '--metrics-address=127.0.0.1:7472'],
    ['an IPv6 address', '2001:db8::5', '--metrics-address=2001:db8::5:7472'],
  ])('speaker.metricsBindAddress %s', async (_name, metricsBindAddress, arg) => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, metricsBindAddress === undefined ? {} : { speaker: { metricsBindAddress } });
      const args = container(objects, 'DaemonSet', 'herald-speaker').args!;
      expect(args.filter((a) => a.startsWith('--metrics-address='))).toEqual([arg]);
    });
  });

  it('memberlist: a given key is used as is; createSecret false leaves the Secret out but still mounts it', async () => {
    await eachHelm(async (helm) => {
      const fixed = find<V1Secret>(await mustTemplate(helm, { memberlist: { secretKey: 'correct horse battery staple' } }), 'Secret', 'herald-memberlist');
      expect(Buffer.from(fixed.data!.secretkey!, 'base64').toString()).toBe('correct horse battery staple');
      const objects = await mustTemplate(helm, { memberlist: { createSecret: false } });
      expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
      expect(find<V1DaemonSet>(objects, 'DaemonSet', 'herald-speaker').spec!.template.spec!.volumes![0]!.secret!.secretName).toBe('herald-memberlist');
    });
  });

  it('prometheus: ServiceMonitors, PodMonitors and a PrometheusRule whose alerts use metrics herald exports', async () => {
    const exported = new Set(
      ['packages/controller/src/metrics.ts', 'packages/speaker/src/metrics.ts', 'packages/speaker/src/membership/membershipMetrics.ts'].flatMap((f) =>
        [...readFileSync(join(ROOT, f), 'utf8').matchAll(/name: '(herald_[a-z_]+)'/g)].map((m) => m[1]!),
      ),
    );
    expect(exported.size).toBeGreaterThan(10);
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, PROMETHEUS);
      expect(kindsAndNames(objects).filter((k) => !STANDARD_OBJECTS.includes(k))).toEqual([
        'PodMonitor/herald-controller',
        'PodMonitor/herald-speaker',
        'PrometheusRule/herald',
        'ServiceMonitor/herald-controller',
        'ServiceMonitor/herald-speaker',
      ]);
      for (const component of ['controller', 'speaker']) {
        const sm = find<{ spec: Record<string, unknown> }>(objects, 'ServiceMonitor', `herald-${component}`);
        expect(find(objects, 'ServiceMonitor', `herald-${component}`).metadata.labels).toMatchObject({ release: 'kps' });
        const svc = find<V1Service>(objects, 'Service', `herald-${component}-metrics`);
        expect(sm.spec.selector).toEqual({ matchLabels: svc.spec!.selector });
        expect(svc.metadata!.labels).toMatchObject(svc.spec!.selector!);
        expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s', relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }] }]);
        const pm = find<{ spec: Record<string, unknown> }>(objects, 'PodMonitor', `herald-${component}`);
        expect(pm.spec.selector).toEqual({ matchLabels: svc.spec!.selector });
        expect(pm.spec.podMetricsEndpoints).toEqual([{ port: 'metrics', path: '/metrics', relabelings: [{ sourceLabels: ['__meta_kubernetes_pod_node_name'], targetLabel: 'node' }] }]);
        expect(pm.spec.namespaceSelector).toEqual({ matchNames: [NAMESPACE] });
      }
      const rule = find<{ spec: { groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string } }[] }[] } }>(objects, 'PrometheusRule', 'herald');
      const alerts = Object.fromEntries(rule.spec.groups.flatMap((g) => g.rules).map((r) => [r.alert, r]));
      expect(Object.keys(alerts).sort()).toEqual([
        'HeraldAddressConflict',
        'HeraldAddressPoolExhausted',
        'HeraldAddressPoolInvalid',
        'HeraldAddressPoolUsage75Percent',
        'HeraldAddressPoolUsage85Percent',
        'HeraldAddressPoolUsage95Percent',
        'HeraldControllerAbsent',
        'HeraldControllerNoLeader',
        'HeraldControllerWritesFailing',
        'HeraldHeartbeatsBroken',
        'HeraldSpeakerDown',
        'HeraldSpeakerNotReady',
      ]);
      const expr = (a: string) => alerts[a]!.expr.replace(/\s+/g, ' ');
      expect(expr('HeraldAddressPoolExhausted')).toBe(
        'max by (pool, family) (herald_pool_addresses_in_use{namespace="herald-system"}) >= max by (pool, family) (herald_pool_addresses_total{namespace="herald-system"}) and max by (pool, family) (herald_pool_addresses_total{namespace="herald-system"}) > 0',
      );
      for (const [percent, severity] of [
        [75, 'info'],
        [85, 'warning'],
        [95, 'critical'],
      ] as const) {
        const a = `HeraldAddressPoolUsage${percent}Percent`;
        expect(expr(a)).toBe(
          `100 * max by (pool, family) (herald_pool_addresses_in_use{namespace="herald-system"}) / max by (pool, family) (herald_pool_addresses_total{namespace="herald-system"}) > ${percent}`,
        );
        expect(alerts[a]!.labels.severity).toBe(severity);
      }
      expect(expr('HeraldAddressConflict')).toContain('increase(herald_speaker_conflicts_total{namespace="herald-system"}[5m])) > 0');
      expect(expr('HeraldControllerNoLeader')).toBe('max(herald_controller_leader{namespace="herald-system"}) == 0');
      expect(expr('HeraldControllerWritesFailing')).toBe('max by (kind, reason, state) (herald_controller_write_backoff_objects{namespace="herald-system"}) > 0');
      expect(expr('HeraldSpeakerNotReady')).toBe(
        'kube_daemonset_status_desired_number_scheduled{namespace="herald-system", daemonset="herald-speaker"} - kube_daemonset_status_number_ready{namespace="herald-system", daemonset="herald-speaker"} > 0',
      );
      expect(expr('HeraldSpeakerDown')).toBe('up{namespace="herald-system", pod=~"herald-speaker-.+"} == 0');
      const used = new Set(Object.values(alerts).flatMap((a) => a.expr.match(/herald_[a-z_]+/g) ?? []));
      for (const metric of used) expect(exported, `alert metric ${metric}`).toContain(metric);
    });
  });

  it('prometheus: custom usage thresholds and no kube-state-metrics', async () => {
    await eachHelm(async (helm) => {
      const objects = await mustTemplate(helm, { prometheus: { prometheusRule: { enabled: true, kubeStateMetrics: false, addressPoolUsage: [{ percent: 90, severity: 'page' }] } } });
      const text = JSON.stringify(find(objects, 'PrometheusRule', 'herald'));
      expect(text).toContain('HeraldAddressPoolUsage90Percent');
      expect(text).toContain('"severity":"page"');
      expect(text).not.toContain('HeraldAddressPoolUsage75Percent');
      expect(text).not.toContain('kube_daemonset');
    });
  });
});

describe('values the chart refuses', () => {
  // [name, values, every fragment the message must contain]
  const SCHEMA: [string, unknown, string[]][] = [
    ['a pool without addresses', { addressPools: [{ name: 'a' }] }, ['/addressPools/0', "missing property 'addresses'"]],
    ['a pool with no address', { addressPools: [{ name: 'a', addresses: [] }] }, ['/addressPools/0/addresses', 'minItems']],
    ['a non-string address', { addressPools: [{ name: 'a', addresses: [123] }] }, ['/addressPools/0/addresses/0', 'want string']],
    ['an IPv4 address with an octet over 255', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/24', '192.0.2.300'] }] }, ['/addressPools/0/addresses/1', "'192.0.2.300' does not match pattern"]],
    ['an IPv4 prefix over 32', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/33'] }] }, ['/addressPools/0/addresses/0', 'does not match pattern']],
    ['a range mixing families', { addressPools: [{ name: 'a', addresses: ['192.0.2.1-2001:db8::1'] }] }, ['/addressPools/0/addresses/0', 'does not match pattern']],
    ['an address with blanks', { addressPools: [{ name: 'a', addresses: ['192.0.2.1 - 192.0.2.9'] }] }, ['/addressPools/0/addresses/0', 'does not match pattern']],
    ['an IPv6 address with a zone', { addressPools: [{ name: 'a', addresses: ['fe80::1%eth0'] }] }, ['/addressPools/0/addresses/0', 'does not match pattern']],
    ['a pool name with upper case', { addressPools: [{ name: 'Lan', addresses: ['192.0.2.0/24'] }] }, ['/addressPools/0/name', 'does not match pattern']],
    ['an unknown pool field', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/24'], autoassign: true }] }, ['/addressPools/0', "'autoassign' not allowed"]],
    ['an exclude pattern with a comma', { speaker: { excludeInterfaces: ['cali*,veth*'] } }, ['/speaker/excludeInterfaces/0', 'does not match pattern']],
    ['a negative key rotation grace', { memberlist: { rotationGraceMs: -1 } }, ['/memberlist/rotationGraceMs', 'minimum']],
    ['an interface name with a slash', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/24'], l2: { interfaces: ['eth/0'] } }] }, ['/addressPools/0/l2/interfaces/0']],
    ['a bad selector operator', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/24'], l2: { nodeSelectors: [{ matchExpressions: [{ key: 'k', operator: 'Equals' }] }] } }] }, ['/addressPools/0/l2/nodeSelectors/0/matchExpressions/0/operator']],
    ['an unknown top-level key', { replicas: 3 }, ["additional properties 'replicas' not allowed"]],
    ['replicas as a string', { controller: { replicas: '3' } }, ['/controller/replicas', 'got string, want integer']],
    ['zero replicas', { controller: { replicas: 0 } }, ['/controller/replicas', 'minimum']],
    ['a controller heap cap too small to run', { controller: { maxHeapMiB: 16 } }, ['/controller/maxHeapMiB', 'minimum']],
    ['a controller heap cap as a string', { controller: { maxHeapMiB: '160' } }, ['/controller/maxHeapMiB', 'got string']],
    ['a speaker heap cap too small to run', { speaker: { maxHeapMiB: 31 } }, ['/speaker/maxHeapMiB', 'minimum']],
    ['a bad controller log level', { controller: { logLevel: 'verbose' } }, ['/controller/logLevel', "'trace', 'debug', 'info', 'warn', 'error'"]],
    ['a bad speaker log level', { speaker: { logLevel: 'fatal' } }, ['/speaker/logLevel', "'trace', 'debug', 'info', 'warn', 'error'"]],
    ['a heartbeat port out of range', { speaker: { heartbeat: { port: 70000 } } }, ['/speaker/heartbeat/port', 'maximum']],
    ['an unknown heartbeat address source', { speaker: { heartbeat: { addressSource: 'podIP' } } }, ['/speaker/heartbeat/addressSource', "'hostIP', 'auto'"]],
    ['an unknown membership thread priority', { speaker: { membershipThreadPriority: 'fifo' } }, ['/speaker/membershipThreadPriority', "'off', 'nice', 'realtime', 'deadline'"]],
    ['a deadline runtime below the kernel\'s 1024 ns', { speaker: { membershipThreadDeadline: { runtimeUs: 1, periodUs: 10000 } } }, ['/speaker/membershipThreadDeadline/runtimeUs', 'minimum']],
    ['a short heartbeat key', { memberlist: { secretKey: 'short' } }, ['/memberlist/secretKey']],
    ['a metrics bind address that is an interface name', { speaker: { metricsBindAddress: 'eth0' } }, ['/speaker/metricsBindAddress', 'does not match pattern']],
    ['a metrics bind address with a port', { speaker: { metricsBindAddress: '127.0.0.1:7472' } }, ['/speaker/metricsBindAddress', 'does not match pattern']],
    ['a bad pull policy', { image: { pullPolicy: 'Sometimes' } }, ['/image/pullPolicy']],
    ['a configInline pool without protocol', { configInline: { 'address-pools': [{ name: 'a', addresses: ['192.0.2.0/24'] }] } }, ['/configInline/address-pools/0', "missing property 'protocol'"]],
    ['a configInline protocol that never existed', { configInline: { 'address-pools': [{ name: 'a', protocol: 'layer3', addresses: ['192.0.2.0/24'] }] } }, ['/configInline/address-pools/0/protocol', "'layer2', 'bgp'"]],
  ];

  it.each(SCHEMA)('the schema refuses %s, naming the field', async (_name, values, fragments) => {
    await eachHelm(async (helm) => {
      const r = await template(helm, values);
      if (r.ok) expect.fail('helm template accepted the values');
      expect(r.error).toContain("values don't meet the specifications of the schema");
      for (const f of fragments) expect(r.error).toContain(f);
    });
  });

  const TEMPLATE: [string, unknown, string][] = [
    [
      'a protocol bgp configInline pool',
      { configInline: { 'address-pools': [{ name: 'edge', protocol: 'layer2', addresses: ['192.0.2.0/24'] }, { name: 'core', protocol: 'bgp', addresses: ['198.51.100.0/24'] }] } },
      'herald does not support BGP yet: pool "core" has protocol bgp; use protocol layer2',
    ],
    ['configInline BGP peers', { configInline: { peers: [{ 'peer-address': '192.0.2.1', 'peer-asn': 64500, 'my-asn': 64501 }] } }, 'herald does not support BGP yet: configInline has peers'],
    [
      'a configInline pool name that is not a Kubernetes name',
      { configInline: { 'address-pools': [{ name: 'Prod_Pool', protocol: 'layer2', addresses: ['192.0.2.0/24'] }] } },
      'configInline.address-pools[0]: pool name "Prod_Pool" is not a valid Kubernetes object name',
    ],
    ['the same pool name twice', { addressPools: [{ name: 'a', addresses: ['192.0.2.0/28'] }, { name: 'a', addresses: ['192.0.2.16/28'] }] }, 'addressPools[1]: pool name "a" is already used by addressPools[0]'],
    [
      'a pool name in both addressPools and configInline',
      { addressPools: [{ name: 'a', addresses: ['192.0.2.0/28'] }], configInline: { 'address-pools': [{ name: 'a', protocol: 'layer2', addresses: ['192.0.2.16/28'] }] } },
      'configInline.address-pools[0]: pool name "a" is already used by addressPools[0]',
    ],
    ['a grace period shorter than the hand-over', { speaker: { handoverTimeoutMs: 9000 } }, 'speaker.terminationGracePeriodSeconds (10 s) must exceed speaker.handoverTimeoutMs (9000 ms) by at least 2 s'],
    ['a usage threshold listed twice', { prometheus: { prometheusRule: { enabled: true, addressPoolUsage: [{ percent: 80, severity: 'a' }, { percent: 80, severity: 'b' }] } } }, 'percent 80 is listed twice'],
  ];

  it.each(TEMPLATE)('rendering fails on %s, with a message saying what to do', async (_name, values, message) => {
    await eachHelm(async (helm) => {
      const r = await template(helm, values);
      if (r.ok) expect.fail('helm template rendered the values');
      expect(r.error).toContain(message);
    });
  });

  it('the suggested name for a configInline pool is a valid one', async () => {
    await eachHelm(async (helm) => {
      const r = await template(helm, { configInline: { 'address-pools': [{ name: '_Prod Pool_', protocol: 'layer2', addresses: ['192.0.2.0/24'] }] } });
      if (r.ok) expect.fail('helm template rendered the values');
      expect(r.error).toContain('rename it (e.g. to "prod-pool") and update those Services');
    });
  });
});

describe('the schema address pattern', () => {
  const schema = JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')) as { definitions: { address: { pattern: string } } };
  const pattern = new RegExp(schema.definitions.address.pattern);
  it.each([
    '192.0.2.0/28',
    '192.0.2.7',
    '192.0.2.7/32',
    '0.0.0.0/0',
    '192.0.2.10-192.0.2.20',
    '2001:db8::/120',
    '2001:db8::7/128',
    '::1',
    '::',
    'fe80::1-fe80::9',
    '2001:DB8:0:0:0:0:0:1',
    '64:ff9b::192.0.2.1',
  ])('accepts %s', (address) => {
    expect(pattern.test(address)).toBe(true);
  });
  it.each([
    '',
    '192.0.2',
    '192.0.2.256',
    '192.0.2.01',
    '192.0.2.0/33',
    '192.0.2.0/024',
    '192.0.2.0/',
    ' 192.0.2.1',
    '192.0.2.1-2001:db8::1',
    '192.0.2.1-192.0.2.2-192.0.2.3',
    '2001:db8::/129',
    '2001:db8::12345',
    '1:2:3:4:5:6:7:8:9',
    'fe80::1%eth0',
    'g::1',
    'localhost',
  ])('refuses %j', (address) => {
    expect(pattern.test(address)).toBe(false);
  });
});
