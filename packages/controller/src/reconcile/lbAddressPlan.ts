import { formatAddress, lbAddressName, type IPAddress, type LBAddress, type LBAddressSpec } from '@herald/core';

export interface LBAddressPlan {
  create: { name: string; spec: LBAddressSpec }[];
  update: { name: string; spec: LBAddressSpec }[];
  delete: string[];
}

/** Diffs the addresses in use against the LBAddress objects that exist; one object per address. */
export function planLBAddresses(uses: Iterable<{ address: IPAddress; pool: string; services: string[] }>, existing: ReadonlyMap<string, LBAddress>): LBAddressPlan {
  const plan: LBAddressPlan = { create: [], update: [], delete: [] };
  const wanted = new Set<string>();
  for (const use of uses) {
    const name = lbAddressName(use.address);
    wanted.add(name);
    // Kept while no pool exists (see Allocator): leave any existing object as it is, create none.
    if (use.pool === '') continue;
    const spec: LBAddressSpec = {
      address: formatAddress(use.address),
      pool: use.pool,
      services: use.services.map((k) => {
        const [namespace, svcName] = k.split('/') as [string, string];
        return { namespace, name: svcName };
      }),
      serviceNames: use.services.join(', '),
    };
    const have = existing.get(name);
    if (!have) plan.create.push({ name, spec });
    else if (!sameSpec(have.spec, spec)) plan.update.push({ name, spec });
  }
  for (const name of existing.keys()) if (!wanted.has(name)) plan.delete.push(name);
  return plan;
}

/**
 * Field by field, not JSON text: the API server returns objects with keys sorted ({name, namespace}), so a
 * text comparison with our {namespace, name} never matched and every pass re-patched every LBAddress.
 */
function sameSpec(have: LBAddressSpec | undefined, want: LBAddressSpec): boolean {
  const services = have?.services ?? [];
  return (
    have?.address === want.address &&
    have.pool === want.pool &&
    have.serviceNames === want.serviceNames &&
    services.length === want.services.length &&
    want.services.every((s, i) => services[i]?.namespace === s.namespace && services[i]?.name === s.name)
  );
}
