import * as k8s from '@kubernetes/client-node';

/**
 * Per-request options that abort a Kubernetes API call after `ms`. client-node sets no timeout of its
 * own, so without this a request sent while the API link is down waits for TCP to give up (minutes),
 * and a renewal loop that awaits it stalls for as long.
 */
export function requestTimeout(ms: number): k8s.ConfigurationOptions {
  const middleware: k8s.ObservableMiddleware = {
    pre: (context) => {
      context.setSignal(AbortSignal.timeout(ms));
      return new k8s.Observable(Promise.resolve(context));
    },
    post: (response) => new k8s.Observable(Promise.resolve(response)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
