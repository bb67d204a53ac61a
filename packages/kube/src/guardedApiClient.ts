import * as k8s from '@kubernetes/client-node';
import { FencedError } from './leadership.js';

export interface RequestGuard {
  /** Every request is aborted after this long, so a hung call cannot stall the caller's deadlines. */
  timeoutMs: number;
  /** Asked immediately before each request leaves; false refuses it with a FencedError. */
  allows?: () => boolean;
}

/**
 * An API client (like `kc.makeApiClient(Api)`) whose every request carries a timeout and, optionally,
 * passes a fence. The check sits in the HTTP library, the last step before the request is sent, so a
 * request built before leadership was lost (queued, retried, or resumed after SIGSTOP) is still refused.
 */
export function guardedApiClient<T>(kc: k8s.KubeConfig, api: new (config: k8s.Configuration) => T, guard: RequestGuard): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('No active cluster in the kubeconfig');
  const http = new k8s.IsomorphicFetchHttpLibrary();
  const httpApi: k8s.HttpLibrary = {
    send(request) {
      if (guard.allows && !guard.allows()) {
        return new k8s.Observable(Promise.reject(new FencedError(`${request.getHttpMethod()} ${new URL(request.getUrl()).pathname}`)));
      }
      const timeout = AbortSignal.timeout(guard.timeoutMs);
      const own = request.getSignal();
      request.setSignal(own ? AbortSignal.any([own, timeout]) : timeout);
      return http.send(request);
    },
  };
  return new api(k8s.createConfiguration({ baseServer: new k8s.ServerConfiguration(cluster.server, {}), authMethods: { default: kc }, httpApi }));
}
