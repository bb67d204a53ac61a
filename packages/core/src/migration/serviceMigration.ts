import { ANNOTATION } from '../allocation/annotations.js';
import type { IPAddressPool } from '../api/v1beta1.js';
import { parseAddress } from '../ip/address.js';
import { parseRange } from '../ip/range.js';
import type { MigrationFinding } from './migrationFinding.js';

/** What migrate needs to know about one LoadBalancer Service. */
export interface MigrationServiceFacts {
  readonly namespace: string;
  readonly name: string;
  readonly annotations: Readonly<Record<string, string>>;
  /** status.loadBalancer.ingress[].ip */
  readonly addresses: readonly string[];
}

/** A MetalLB annotation on a Service and the herald key that means the same. */
export interface AnnotationUse {
  readonly service: string;
  readonly metallbKey: string;
  readonly heraldKey: string;
  readonly value: string;
  /** The Service already has the herald key (it wins over the alias). */
  readonly heraldKeyPresent: boolean;
}

export interface ServiceReport {
  readonly annotations: AnnotationUse[];
  /** Per Service, the herald annotations `--annotate` adds (only keys it does not have yet). */
  readonly annotationPatches: { namespace: string; name: string; add: Record<string, string> }[];
  readonly findings: MigrationFinding[];
}

const PREFIXES = ['metallb.io/', 'metallb.universe.tf/'];
const HERALD_KEYS: readonly string[] = [ANNOTATION.addressPool, ANNOTATION.loadBalancerIPs, ANNOTATION.allowSharedIP];

/**
 * Which Services use MetalLB annotations (herald honours them, so renaming is optional), and which Services
 * would lose their address at cut-over because no migrated pool holds it, or because they name a pool that
 * is not migrated. `metallb.io/ip-allocated-from-pool` is written by MetalLB and is not mapped.
 */
export function serviceMigration(services: readonly MigrationServiceFacts[], pools: readonly IPAddressPool[]): ServiceReport {
  const annotations: AnnotationUse[] = [];
  const annotationPatches: ServiceReport['annotationPatches'] = [];
  const findings: MigrationFinding[] = [];
  const ranges = pools.flatMap((p) => p.spec.addresses.map((a) => ({ pool: p.metadata.name, range: parseRange(a) })));
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const s of sorted) {
    const service = `${s.namespace}/${s.name}`;
    const add: Record<string, string> = {};
    for (const heraldKey of HERALD_KEYS) {
      const suffix = heraldKey.slice('herald.dev/'.length);
      for (const prefix of PREFIXES) {
        const value = s.annotations[prefix + suffix];
        if (value === undefined) continue;
        const heraldKeyPresent = s.annotations[heraldKey] !== undefined;
        annotations.push({ service, metallbKey: prefix + suffix, heraldKey, value, heraldKeyPresent });
        if (!heraldKeyPresent && add[heraldKey] === undefined) add[heraldKey] = value;
      }
    }
    if (Object.keys(add).length) annotationPatches.push({ namespace: s.namespace, name: s.name, add });
    const wantedPool = s.annotations[ANNOTATION.addressPool] ?? s.annotations['metallb.io/address-pool'] ?? s.annotations['metallb.universe.tf/address-pool'];
    if (wantedPool !== undefined && !pools.some((p) => p.metadata.name === wantedPool)) {
      findings.push({ action: 'atRisk', reason: 'PoolNotMigrated', object: `Service ${service}`, detail: `asks for pool "${wantedPool}", which is not migrated; herald would leave it without an address` });
    }
    for (const ip of s.addresses) {
      const a = parseAddress(ip);
      if (!a.ok) continue;
      const holder = ranges.find((r) => r.range.ok && r.range.value.family === a.value.family && r.range.value.first <= a.value.value && a.value.value <= r.range.value.last);
      if (!holder) findings.push({ action: 'atRisk', reason: 'AddressOutsidePools', object: `Service ${service}`, detail: `${ip} is in no migrated pool; herald's controller would release it and assign another` });
    }
  }
  return { annotations, annotationPatches, findings };
}
