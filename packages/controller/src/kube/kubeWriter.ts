import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION, type LBAddressSpec } from '@herald/core';
import type { Logger } from 'pino';
import type { ControllerMetrics } from '../metrics.js';
import { eventBody, guardedApiClient, isFenced, Limiter, type WriteFence } from '@herald/kube';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const strategicMergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch);
const serverSideApply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);

/**
 * The field manager of herald's server-side applies. Kubernetes tracks which manager owns each field, so
 * herald's apply replaces only its own conditions and leaves other controllers' conditions alone.
 */
export const FIELD_MANAGER = 'herald-controller';

const ownerReferences = (owner: { name: string; uid: string } | undefined) =>
  owner ? [{ apiVersion: API_VERSION, kind: 'IPAddressPool', name: owner.name, uid: owner.uid }] : [];

export interface EventTarget {
  kind: 'Service' | 'IPAddressPool' | 'LBAddress';
  name: string;
  namespace?: string;
  uid?: string;
}

/** A write that has not answered in this long is abandoned (and retried by its caller). */
const WRITE_TIMEOUT_MS = 30_000;

/**
 * Every write the controller makes, through one bounded pool so thousands of Services do not open
 * thousands of requests, and each counted by kind and result. Every request passes `fence` right before
 * it is sent: once leadership is lost, queued and retried writes are refused (FencedError), not flushed.
 */
export class KubeWriter {
  private readonly core: k8s.CoreV1Api;
  private readonly custom: k8s.CustomObjectsApi;
  private readonly limiter: Limiter;

  private fencedLogged = false;

  constructor(kc: k8s.KubeConfig, private readonly o: { metrics: ControllerMetrics; log: Logger; concurrency: number; component: string; identity: string; fence: WriteFence }) {
    const guard = { timeoutMs: WRITE_TIMEOUT_MS, allows: () => o.fence.allows() };
    this.core = guardedApiClient(kc, k8s.CoreV1Api, guard);
    this.custom = guardedApiClient(kc, k8s.CustomObjectsApi, guard);
    this.limiter = new Limiter(o.concurrency);
  }

  idle(): Promise<void> {
    return this.limiter.idle();
  }

  /** Writes finished so far, either way. */
  get settled(): number {
    return this.limiter.settled;
  }

  private async write<T>(kind: string, job: () => Promise<T>): Promise<T> {
    // A Service's status is what its user waits for; events, LBAddress objects and pool counts can follow.
    return this.limiter.run(async () => {
      try {
        const r = await job();
        this.o.metrics.apiWrites.inc({ kind, result: 'ok' });
        return r;
      } catch (e) {
        const code = (e as { code?: number }).code;
        this.o.metrics.apiWrites.inc({ kind, result: isFenced(e) ? 'fenced' : code ? String(code) : 'error' });
        if (isFenced(e) && !this.fencedLogged) {
          this.fencedLogged = true;
          this.o.log.warn({ event: 'writesFenced', kind }, 'not the leader: dropping queued and new writes');
        }
        throw e;
      }
    }, { urgent: kind === 'serviceStatus' });
  }

  /**
   * Server-side apply of the Service status fields herald owns: `loadBalancer.ingress` (an atomic list) and
   * the herald.dev/* conditions (a list map keyed by type, so other managers' conditions survive). Applying
   * a status without a condition herald applied before removes that condition. `force` takes ownership of
   * fields an older herald wrote with merge patches; nobody else should be writing herald's fields.
   */
  applyServiceStatus(namespace: string, name: string, status: object): Promise<k8s.V1Service> {
    const body = { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, status };
    return this.write('serviceStatus', () => this.core.patchNamespacedServiceStatus({ name, namespace, body, fieldManager: FIELD_MANAGER, force: true }, serverSideApply));
  }

  /**
   * Clears what herald wrote on a Service it no longer handles: the addresses, and its conditions by type
   * with strategic-merge `$patch: delete` (conditions merge by type), which removes them whichever manager
   * owns them (an older herald wrote them by merge patch) and touches no other condition.
   */
  releaseServiceStatus(namespace: string, name: string, conditionTypes: readonly string[]): Promise<k8s.V1Service> {
    const body = { status: { loadBalancer: { ingress: [] }, conditions: conditionTypes.map((type) => ({ type, $patch: 'delete' })) } };
    return this.write('serviceStatus', () => this.core.patchNamespacedServiceStatus({ name, namespace, body, fieldManager: FIELD_MANAGER }, strategicMergePatch));
  }

  /** Events are best effort: a failure is logged, never retried into a loop. */
  event(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const subject = { ...target, apiVersion: target.kind === 'Service' ? 'v1' : API_VERSION };
    const e = eventBody(subject, type, reason, message, { component: this.o.component, instance: this.o.identity });
    void this.write('event', () => this.core.createNamespacedEvent(e)).catch((err: Error) => {
      if (!isFenced(err)) this.o.log.warn({ event: 'eventWriteFailed', reason, err: err.message }, 'could not record an event');
    });
  }

  /** `owner` is the pool: deleting the pool (or the chart that made it) garbage-collects its LBAddresses. */
  createLBAddress(name: string, spec: LBAddressSpec, owner?: { name: string; uid: string }): Promise<unknown> {
    return this.write('lbaddress', () =>
      this.custom.createClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: 'lbaddresses',
        body: { apiVersion: API_VERSION, kind: 'LBAddress', metadata: { name, ownerReferences: ownerReferences(owner) }, spec },
      }),
    );
  }

  patchLBAddressSpec(name: string, spec: LBAddressSpec, owner?: { name: string; uid: string }): Promise<unknown> {
    return this.write('lbaddress', () =>
      this.custom.patchClusterCustomObject({ group: GROUP, version: VERSION, plural: 'lbaddresses', name, body: { metadata: { ownerReferences: ownerReferences(owner) }, spec } }, mergePatch),
    );
  }

  deleteLBAddress(name: string): Promise<unknown> {
    return this.write('lbaddress', () => this.custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural: 'lbaddresses', name }));
  }

  patchPoolStatus(name: string, status: object): Promise<unknown> {
    return this.write('poolStatus', () => this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'ipaddresspools', name, body: { status } }, mergePatch));
  }
}
