import type { MigrationFinding } from './migrationFinding.js';
import type { LegacyConfig, MetalLBObject } from './metallbConfig.js';

const where = (source: string) => `ConfigMap ${source}`;

/**
 * The legacy ConfigMap as the CR objects MetalLB 0.13's `configmaptocrs` would have produced for layer 2:
 * each `protocol: layer2` pool becomes an IPAddressPool plus an L2Advertisement `<name>-l2` for it (the
 * pool was announced on every node, from every interface). Everything BGP is reported, not converted.
 * Pool names are kept as they are (checked later), because Services name pools in annotations.
 */
export function legacyConfigObjects(config: LegacyConfig, source: string): { objects: MetalLBObject[]; findings: MigrationFinding[] } {
  const objects: MetalLBObject[] = [];
  const findings: MigrationFinding[] = [];
  const pools = config['address-pools'] ?? [];
  pools.forEach((p, i) => {
    const name = typeof p.name === 'string' ? p.name : '';
    const label = name || `address-pools[${i}]`;
    if (p.protocol === 'bgp' || p['bgp-advertisements'] !== undefined) {
      findings.push({ action: 'skipped', reason: 'BGPNotSupported', object: `${where(source)} address-pools ${label}`, detail: 'protocol: bgp pools are announced with BGP; herald announces only on layer 2' });
      return;
    }
    if (p.protocol !== 'layer2') {
      findings.push({ action: 'skipped', reason: 'UnknownKind', object: `${where(source)} address-pools ${label}`, detail: `protocol ${JSON.stringify(p.protocol)} is neither layer2 nor bgp` });
      return;
    }
    const spec: Record<string, unknown> = { addresses: p.addresses };
    if (p['auto-assign'] !== undefined) spec.autoAssign = p['auto-assign'];
    if (p['avoid-buggy-ips'] !== undefined) spec.avoidBuggyIPs = p['avoid-buggy-ips'];
    const origin = `${where(source)} address-pools ${label}`;
    objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name }, spec, origin });
    objects.push({ apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: { name: `${name}-l2` }, spec: { ipAddressPools: [name] }, origin });
  });
  for (const key of ['peers', 'bfd-profiles'] as const) {
    for (const [i] of (config[key] ?? []).entries()) {
      findings.push({ action: 'skipped', reason: 'BGPNotSupported', object: `${where(source)} ${key}[${i}]`, detail: 'BGP configuration; herald announces only on layer 2' });
    }
  }
  for (const name of Object.keys(config['bgp-communities'] ?? {})) {
    findings.push({ action: 'skipped', reason: 'BGPNotSupported', object: `${where(source)} bgp-communities ${name}`, detail: 'BGP configuration; herald announces only on layer 2' });
  }
  return { objects, findings };
}
