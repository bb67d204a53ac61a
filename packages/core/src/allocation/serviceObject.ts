/** The parts of a core/v1 Service that herald reads, as plain data (the controller copies them in). */
export interface ServiceObject {
  metadata: {
    namespace: string;
    name: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: {
    type?: string;
    loadBalancerClass?: string;
    loadBalancerIP?: string;
    ipFamilies?: string[];
    ipFamilyPolicy?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalTrafficPolicy?: string;
    selector?: Record<string, string>;
    ports?: { protocol?: string; port: number }[];
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export const serviceKey = (s: { metadata: { namespace: string; name: string } }): string => `${s.metadata.namespace}/${s.metadata.name}`;
