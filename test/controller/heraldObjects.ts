import * as k8s from '@kubernetes/client-node';
import type { IPAddressPoolSpec, L2AdvertisementSpec, LBAddress, IPAddressPool } from '@herald/core';
import { waitFor } from '../processes.js';

const G = { group: 'herald.dev', version: 'v1beta1' };
const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** Typed helpers for herald's cluster-scoped objects, for tests. */
export class HeraldObjects {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  constructor(private readonly kc: k8s.KubeConfig) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  createPool(name: string, spec: IPAddressPoolSpec, labels?: Record<string, string>) {
    return this.custom.createClusterCustomObject({ ...G, plural: 'ipaddresspools', body: { apiVersion: 'herald.dev/v1beta1', kind: 'IPAddressPool', metadata: { name, labels }, spec } });
  }

  patchPoolSpec(name: string, spec: Partial<IPAddressPoolSpec>) {
    return this.custom.patchClusterCustomObject({ ...G, plural: 'ipaddresspools', name, body: { spec } }, mergePatch);
  }

  async pool(name: string): Promise<IPAddressPool> {
    return (await this.custom.getClusterCustomObject({ ...G, plural: 'ipaddresspools', name })) as IPAddressPool;
  }

  deletePool(name: string) {
    return this.custom.deleteClusterCustomObject({ ...G, plural: 'ipaddresspools', name });
  }

  createL2Advertisement(name: string, spec: L2AdvertisementSpec) {
    return this.custom.createClusterCustomObject({ ...G, plural: 'l2advertisements', body: { apiVersion: 'herald.dev/v1beta1', kind: 'L2Advertisement', metadata: { name }, spec } });
  }

  async lbAddresses(): Promise<LBAddress[]> {
    return ((await this.custom.listClusterCustomObject({ ...G, plural: 'lbaddresses' })) as { items: LBAddress[] }).items;
  }

  async lbAddress(name: string): Promise<LBAddress | undefined> {
    try {
      return (await this.custom.getClusterCustomObject({ ...G, plural: 'lbaddresses', name })) as LBAddress;
    } catch {
      return undefined;
    }
  }

  patchLBAddressStatus(name: string, status: object) {
    return this.custom.patchClusterCustomObjectStatus({ ...G, plural: 'lbaddresses', name, body: { status } }, mergePatch);
  }

  /**
   * Deletes every herald object (pools, advertisements, addresses) so tests start clean: one deletecollection
   * call per kind (a world with 10,000 LBAddresses took minutes of one-by-one deletes), falling back to
   * deleting one by one if the collection call fails. herald puts no finalizers on them, so they are gone
   * when this resolves.
   */
  async deleteAll(): Promise<void> {
    for (const plural of ['ipaddresspools', 'l2advertisements', 'lbaddresses']) {
      try {
        await this.custom.deleteCollectionClusterCustomObject({ ...G, plural });
        continue;
      } catch {
        // below: one by one, each failure ignored (an object someone else deleted meanwhile)
      }
      const list = (await this.custom.listClusterCustomObject({ ...G, plural })) as { items: { metadata: { name: string } }[] };
      for (const o of list.items) await this.custom.deleteClusterCustomObject({ ...G, plural, name: o.metadata.name }).catch(() => undefined);
    }
  }

  /** Deletes every Service of a loadBalancerClass in the cluster and waits until they are gone. */
  async deleteServicesOfClass(lbClass: string): Promise<void> {
    const mine = async () => (await this.core.listServiceForAllNamespaces()).items.filter((s) => s.spec?.loadBalancerClass === lbClass);
    for (const s of await mine()) await this.core.deleteNamespacedService({ namespace: s.metadata!.namespace!, name: s.metadata!.name! }).catch(() => undefined);
    await waitFor(`Services of class ${lbClass} to be gone`, async () => (await mine()).length === 0, { timeoutMs: 30_000, intervalMs: 100 });
  }

  async service(namespace: string, name: string): Promise<k8s.V1Service> {
    return this.core.readNamespacedService({ namespace, name });
  }

  /** Waits until the Service satisfies `check`; the error shows its last status. */
  async waitForService(namespace: string, name: string, what: string, check: (s: k8s.V1Service) => boolean, timeoutMs = 15_000): Promise<k8s.V1Service> {
    let last: k8s.V1Service | undefined;
    try {
      await waitFor(`${namespace}/${name}: ${what}`, async () => check((last = await this.service(namespace, name))), { timeoutMs, intervalMs: 100 });
    } catch (e) {
      throw new Error(`${(e as Error).message}\nlast status: ${JSON.stringify(last?.status)}\nannotations: ${JSON.stringify(last?.metadata?.annotations)}`);
    }
    return last as k8s.V1Service;
  }

  async events(namespace: string, involvedName: string): Promise<{ type: string; reason: string; message: string; reportingInstance: string }[]> {
    const list = await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${involvedName}` });
    return list.items.map((e) => ({ type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', reportingInstance: e.reportingInstance ?? '' }));
  }
}

export const ingressIPs = (s: k8s.V1Service): string[] => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '');
export const condition = (s: k8s.V1Service, type: string) => s.status?.conditions?.find((c) => c.type === type);

export function lbService(name: string, o: { lbClass?: string; annotations?: Record<string, string>; ports?: k8s.V1ServicePort[]; policy?: string; families?: string[]; local?: boolean; loadBalancerIP?: string } = {}): k8s.V1Service {
  return {
    metadata: { name, annotations: o.annotations },
    spec: {
      type: 'LoadBalancer',
      ...(o.lbClass ? { loadBalancerClass: o.lbClass } : {}),
      selector: { app: name },
      ports: o.ports ?? [{ name: 'http', port: 80, targetPort: 8080 }],
      ...(o.policy ? { ipFamilyPolicy: o.policy } : {}),
      ...(o.families ? { ipFamilies: o.families } : {}),
      ...(o.local ? { externalTrafficPolicy: 'Local' } : {}),
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
    },
  };
}
