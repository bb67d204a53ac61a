import type { ServiceFacts } from './nodeFacts.js';

/** The parts of a Service the election reads. */
export interface ElectionServiceObject {
  readonly spec?: { readonly type?: string; readonly loadBalancerClass?: string | null; readonly externalTrafficPolicy?: string } | undefined;
}

/** The parts of an EndpointSlice the election reads. */
export interface EndpointSliceObject {
  readonly endpoints?: readonly { readonly nodeName?: string; readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean } }[] | undefined;
}

export interface ServiceFactsInput {
  /** The Services an LBAddress lists. */
  readonly refs: readonly { readonly namespace: string; readonly name: string }[];
  /** Service by "namespace/name". */
  readonly service: (key: string) => ElectionServiceObject | undefined;
  /** The EndpointSlices of a Service (label kubernetes.io/service-name), by "namespace/name". */
  readonly slices: (key: string) => Iterable<EndpointSliceObject>;
  /** This speaker's loadBalancerClass; undefined serves Services without one. */
  readonly lbClass: string | undefined;
}

/**
 * The election facts of the Services on one address: only LoadBalancer Services of this speaker's class
 * count. An endpoint without conditions is ready (the API's meaning of an absent condition), and serving
 * when ready unless it says otherwise.
 */
export function serviceFacts(i: ServiceFactsInput): ServiceFacts[] {
  const out: ServiceFacts[] = [];
  for (const ref of i.refs) {
    const key = `${ref.namespace}/${ref.name}`;
    const svc = i.service(key);
    if (!svc || svc.spec?.type !== 'LoadBalancer' || (svc.spec.loadBalancerClass ?? undefined) !== i.lbClass) continue;
    const endpoints = [];
    for (const s of i.slices(key)) {
      for (const e of s.endpoints ?? []) {
        const ready = e.conditions?.ready !== false;
        endpoints.push({ nodeName: e.nodeName, ready, serving: e.conditions?.serving ?? ready });
      }
    }
    out.push({ key, local: svc.spec.externalTrafficPolicy === 'Local', endpoints });
  }
  return out;
}
