import type { LegacyConfig, MetalLBObject, MigrationServiceFacts } from '@herald/core';

/** Everything migrate read, from the cluster or from files, before any decision. */
export interface MetalLBSource {
  /** "cluster https://…, namespace metallb-system" or "files a.yaml, b.yaml", for people. */
  readonly description: string;
  readonly objects: MetalLBObject[];
  readonly legacy?: { readonly config: LegacyConfig; readonly source: string };
  readonly services: MigrationServiceFacts[];
}

interface ServiceLike {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: { type?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

/** LoadBalancer Services only: the ones MetalLB served and herald will. */
export function serviceFacts(services: readonly ServiceLike[]): MigrationServiceFacts[] {
  return services
    .filter((s) => s.spec?.type === 'LoadBalancer')
    .map((s) => ({
      namespace: s.metadata?.namespace ?? 'default',
      name: s.metadata?.name ?? '',
      annotations: s.metadata?.annotations ?? {},
      addresses: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => typeof ip === 'string'),
    }));
}
