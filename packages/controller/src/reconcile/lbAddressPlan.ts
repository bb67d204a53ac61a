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
    const spec: LBAddressSpec = {
      address: formatAddress(use.address),
      pool: use.pool,
      services: use.services.map((k) => {
        const [namespace, svcName] = k.split('/') as [string, string];
        return { namespace, name: svcName };
      }),
    };
    const have = existing.get(name);
    if (!have) plan.create.push({ name, spec });
    else if (JSON.stringify(have.spec) !== JSON.stringify(spec)) plan.update.push({ name, spec });
  }
  for (const name of existing.keys()) if (!wanted.has(name)) plan.delete.push(name);
  return plan;
}
