// Test support: a small cluster as plain objects, for table tests of the pure status/explain pieces.
import type { ClusterFacts } from '../clusterFacts.js';

export const NOW = Date.parse('2026-12-06T12:00:00Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

export interface FactsOptions {
  /** Seconds since each speaker renewed its Lease (absent: no Lease), and its flags. */
  readonly speakers?: Record<string, SpeakerFixture>;
  readonly windowsNode?: boolean;
  /** Services beyond the defaults. */
  readonly extraServices?: ClusterFacts['services'];
  readonly slices?: ClusterFacts['slices'];
  readonly poolAddresses?: string[];
  readonly invalidPool?: boolean;
}

export function svc(ns: string, name: string, o: { ip?: string; local?: boolean; share?: string; port?: number; pool?: string; cls?: string } = {}): ClusterFacts['services'][number] {
  const annotations: Record<string, string> = {};
  if (o.share) {
    annotations['herald.dev/allow-shared-ip'] = o.share;
    annotations['herald.dev/allow-shared-ip-namespaces'] = 'app,other';
  }
  if (o.pool) annotations['herald.dev/address-pool'] = o.pool;
  return {
    metadata: { namespace: ns, name, annotations },
    spec: { type: 'LoadBalancer', ...(o.cls ? { loadBalancerClass: o.cls } : {}), selector: { app: name }, ports: [{ port: o.port ?? 80, protocol: 'TCP' }], ...(o.local ? { externalTrafficPolicy: 'Local' } : {}) },
    status: { loadBalancer: { ingress: o.ip ? [{ ip: o.ip }] : [] } },
  };
}

export function slice(ns: string, service: string, endpoints: { node: string; ready?: boolean }[]): ClusterFacts['slices'][number] {
  return {
    addressType: 'IPv4',
    metadata: { namespace: ns, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    endpoints: endpoints.map((e) => ({ addresses: ['10.0.0.1'], nodeName: e.node, conditions: { ready: e.ready ?? true } })),
  };
}

export interface SpeakerFixture {
  readonly ago: number;
  readonly ready?: boolean;
  readonly draining?: boolean;
  /** herald.dev/heartbeat-health, verbatim (absent: not published). */
  readonly health?: string;
  readonly incarnation?: number;
}

function lease(node: string, s: SpeakerFixture, i: number): ClusterFacts['leases'][number] {
  return {
    metadata: {
      name: `herald-speaker-${node}`,
      annotations: {
        'herald.dev/heartbeat-address': `192.0.2.${11 + i}`,
        'herald.dev/heartbeat-port': '7472',
        'herald.dev/incarnation': String(s.incarnation ?? 1),
        'herald.dev/ready': String(s.ready ?? true),
        'herald.dev/draining': String(s.draining ?? false),
        'herald.dev/interfaces': `eth0=192.0.2.${11 + i}/24`,
        ...(s.health === undefined ? {} : { 'herald.dev/heartbeat-health': s.health }),
      },
    },
    spec: { holderIdentity: node, leaseDurationSeconds: 15, renewTime: at(s.ago) as unknown as Date },
  };
}

/**
 * Nodes n1, n2, n3 (Linux) and optionally w1 (kubernetes.io/os=windows); pool "lan" of 192.0.2.100-101 with
 * an L2Advertisement; Services app/web on .100 (shared by app/web-tls, key "web"), app/api on .101, and
 * app/late waiting (the pool is full), with LBAddresses as the controller writes them.
 */
export function facts(o: FactsOptions = {}): ClusterFacts {
  const speakers = o.speakers ?? { n1: { ago: 1 }, n2: { ago: 2 }, n3: { ago: 3 } };
  const nodeNames = ['n1', 'n2', 'n3'];
  const nodes: ClusterFacts['nodes'][number][] = nodeNames.map((n) => ({ metadata: { name: n, labels: { 'kubernetes.io/os': 'linux' } } }));
  if (o.windowsNode) nodes.push({ metadata: { name: 'w1', labels: { 'kubernetes.io/os': 'windows' } } });
  const services = [
    svc('app', 'web', { ip: '192.0.2.100', share: 'web' }),
    svc('app', 'web-tls', { ip: '192.0.2.100', share: 'web', port: 443 }),
    svc('other', 'secret', { ip: '192.0.2.100', share: 'web', port: 8443 }),
    svc('app', 'api', { ip: '192.0.2.101' }),
    svc('app', 'late'),
    ...(o.extraServices ?? []),
  ];
  const lbAddress = (ip: string, refs: [string, string][], node?: string) => ({
    metadata: { name: `ip-${ip.replaceAll('.', '-')}` },
    spec: { address: ip, pool: 'lan', services: refs.map(([namespace, name]) => ({ namespace, name })) },
    ...(node ? { status: { node, interface: 'eth0', mac: '02:00:00:00:00:01', since: at(60), transitions: 1 } } : {}),
  });
  return {
    services,
    slices: o.slices ?? [slice('app', 'web', [{ node: 'n1' }]), slice('app', 'web-tls', [{ node: 'n2' }]), slice('other', 'secret', [{ node: 'n2' }]), slice('app', 'api', [{ node: 'n3' }])],
    nodes,
    namespaces: [{ metadata: { name: 'app' } }, { metadata: { name: 'other' } }],
    pools: [
      { metadata: { name: 'lan', creationTimestamp: at(3600) }, spec: { addresses: o.poolAddresses ?? ['192.0.2.100-192.0.2.101'] } },
      ...(o.invalidPool ? [{ metadata: { name: 'overlap', creationTimestamp: at(60) }, spec: { addresses: ['192.0.2.101/32'] } }] : []),
    ],
    advertisements: [{ metadata: { name: 'lan-l2' }, spec: { ipAddressPools: ['lan'] } }],
    addresses: [
      lbAddress('192.0.2.100', [['app', 'web'], ['app', 'web-tls'], ['other', 'secret']], 'n1'),
      lbAddress('192.0.2.101', [['app', 'api']], 'n3'),
      ...(o.extraServices ?? []).filter((s) => s.status?.loadBalancer?.ingress?.[0]?.ip).map((s) => lbAddress(s.status!.loadBalancer!.ingress![0]!.ip!, [[s.metadata!.namespace!, s.metadata!.name!]])),
    ],
    leases: Object.entries(speakers).map(([n, s], i) => lease(n, s, i)),
  } as ClusterFacts;
}
