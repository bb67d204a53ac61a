/** herald's own Service annotations, and the MetalLB keys honoured in their place (with a warning). */
export const ANNOTATION = {
  addressPool: 'herald.dev/address-pool',
  loadBalancerIPs: 'herald.dev/loadBalancerIPs',
  allowSharedIP: 'herald.dev/allow-shared-ip',
  /** herald only (MetalLB has no cross-namespace opt-in): other namespaces this Service may share with. */
  allowSharedIPNamespaces: 'herald.dev/allow-shared-ip-namespaces',
  allocatedFromPool: 'herald.dev/allocated-from-pool',
} as const;

const ALIAS_PREFIXES = ['metallb.io/', 'metallb.universe.tf/'];

export interface AnnotationAlias {
  readonly used: string;
  readonly preferred: string;
}

/** Reads herald's key, else the first MetalLB alias present; reports which alias was used. */
export function readAnnotation(
  annotations: Readonly<Record<string, string>>,
  key: (typeof ANNOTATION)[keyof typeof ANNOTATION],
  aliases: AnnotationAlias[],
): string | undefined {
  const own = annotations[key];
  if (own !== undefined) return own;
  const suffix = key.slice('herald.dev/'.length);
  for (const prefix of ALIAS_PREFIXES) {
    const v = annotations[prefix + suffix];
    if (v !== undefined) {
      aliases.push({ used: prefix + suffix, preferred: key });
      return v;
    }
  }
  return undefined;
}
