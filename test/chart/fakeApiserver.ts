// Just enough of a kube-apiserver for `helm template --dry-run=server`: version, discovery of the kinds the
// chart renders, and GET of the objects given. Lets a test see what the chart's `lookup` does on upgrade
// without a cluster.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';

const RESOURCES: Record<string, [plural: string, kind: string, namespaced: boolean][]> = {
  v1: [
    ['namespaces', 'Namespace', false],
    ['secrets', 'Secret', true],
    ['serviceaccounts', 'ServiceAccount', true],
    ['services', 'Service', true],
  ],
  'apps/v1': [
    ['daemonsets', 'DaemonSet', true],
    ['deployments', 'Deployment', true],
  ],
  'rbac.authorization.k8s.io/v1': [
    ['clusterroles', 'ClusterRole', false],
    ['clusterrolebindings', 'ClusterRoleBinding', false],
    ['roles', 'Role', true],
    ['rolebindings', 'RoleBinding', true],
  ],
  'apiextensions.k8s.io/v1': [['customresourcedefinitions', 'CustomResourceDefinition', false]],
  'admissionregistration.k8s.io/v1': [
    ['validatingadmissionpolicies', 'ValidatingAdmissionPolicy', false],
    ['validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', false],
  ],
  'flowcontrol.apiserver.k8s.io/v1': [
    ['flowschemas', 'FlowSchema', false],
    ['prioritylevelconfigurations', 'PriorityLevelConfiguration', false],
  ],
};

export interface FakeApiserver {
  kubeconfig: string;
  /** Paths of the object GETs served, found or not. */
  gets: string[];
  close(): Promise<void>;
}

/** Serves `objects` (keyed by API path, e.g. /api/v1/namespaces/x/secrets/y) on 127.0.0.1 without TLS. */
export async function startFakeApiserver(kubeconfigPath: string, objects: Record<string, unknown>): Promise<FakeApiserver> {
  const gets: string[] = [];
  const resourceList = (groupVersion: string) => ({
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: RESOURCES[groupVersion]!.map(([name, kind, namespaced]) => ({ name, singularName: kind.toLowerCase(), namespaced, kind, verbs: ['get', 'list', 'create', 'update', 'patch', 'delete'] })),
  });
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    const send = (code: number, body: unknown) => res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (path === '/version') return send(200, { major: '1', minor: '36', gitVersion: 'v1.36.4' });
    if (path === '/api') return send(200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') {
      const groups = Object.keys(RESOURCES)
        .filter((gv) => gv.includes('/'))
        .map((gv) => ({ name: gv.split('/')[0], versions: [{ groupVersion: gv, version: gv.split('/')[1] }], preferredVersion: { groupVersion: gv, version: gv.split('/')[1] } }));
      return send(200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (path === '/api/v1') return send(200, resourceList('v1'));
    const gv = path.match(/^\/apis\/([^/]+\/[^/]+)$/)?.[1];
    if (gv && RESOURCES[gv]) return send(200, resourceList(gv));
    gets.push(path);
    if (path in objects) return send(200, objects[path]);
    send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${path} not found` });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  writeFileSync(
    kubeconfigPath,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: `http://127.0.0.1:${port}` } }],
      users: [{ name: 'fake', user: {} }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake' } }],
      'current-context': 'fake',
    }),
  );
  return { kubeconfig: kubeconfigPath, gets, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
