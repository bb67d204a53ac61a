import * as k8s from '@kubernetes/client-node';
import { API_VERSION, GROUP, VERSION } from '@herald/core';
import { eventBody, Limiter } from '@herald/kube';
import type { Logger } from 'pino';
import type { SpeakerMetrics } from '../metrics.js';

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

/** The speaker's only writes: LBAddress status and Events about LBAddresses. Failures never touch the data plane. */
export class LBAddressWriter {
  private readonly custom: k8s.CustomObjectsApi;
  private readonly core: k8s.CoreV1Api;
  private readonly limiter = new Limiter(8);

  constructor(kc: k8s.KubeConfig, private readonly o: { log: Logger; metrics: SpeakerMetrics; node: string }) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  async patchStatus(name: string, status: object): Promise<void> {
    await this.limiter.run(async () => {
      try {
        await this.custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural: 'lbaddresses', name, body: { status } }, mergePatch);
        this.o.metrics.statusWrites.inc({ result: 'ok' });
      } catch (e) {
        this.o.metrics.statusWrites.inc({ result: String((e as { code?: number }).code ?? 'error') });
        throw e;
      }
    });
  }

  event(name: string, uid: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const e = eventBody({ kind: 'LBAddress', apiVersion: API_VERSION, name, uid }, type, reason, message, { component: 'herald-speaker', instance: this.o.node, host: this.o.node });
    void this.limiter
      .run(() => this.core.createNamespacedEvent(e))
      .catch((err: Error) => this.o.log.debug({ event: 'eventWriteFailed', reason, err: err.message }, 'could not record an event'));
  }
}
