import { formatAddress, parseAddress, type IPAddress } from '../ip/address.js';
import type { LBAddress, LBAddressSpec } from '../api/v1beta1.js';
import type { AddressUseView } from './allocator.js';
import { lbAddressName } from './lbAddressName.js';

export interface LBAddressPlan {
  create: { name: string; spec: LBAddressSpec }[];
  update: { name: string; spec: LBAddressSpec }[];
  delete: string[];
}

/**
 * Diffs every address in use against every LBAddress object that exists; one object per address. O(all):
 * for a new leader's first pass and pool edits. Between those, planLBAddressChanges looks only at what changed.
 */
export function planLBAddresses(uses: Iterable<AddressUseView>, existing: ReadonlyMap<string, LBAddress>): LBAddressPlan {
  const plan: LBAddressPlan = { create: [], update: [], delete: [] };
  const wanted = new Set<string>();
  for (const use of uses) {
    const name = lbAddressName(use.address);
    wanted.add(name);
    planOne(plan, name, use, existing);
  }
  for (const name of existing.keys()) if (!wanted.has(name)) plan.delete.push(name);
  return plan;
}

/**
 * The same decision as planLBAddresses for the named objects only: the addresses whose users changed and
 * the objects someone else changed. `useOf` answers for the address a name stands for (undefined: nobody
 * holds it). Work is proportional to `names`, not to the addresses in use; for the same facts the result
 * equals the full plan restricted to those names (the property test holds it to that).
 */
export function planLBAddressChanges(o: { names: Iterable<string>; useOf: (address: IPAddress) => AddressUseView | undefined; existing: ReadonlyMap<string, LBAddress> }): LBAddressPlan {
  const plan: LBAddressPlan = { create: [], update: [], delete: [] };
  for (const name of new Set(o.names)) {
    const address = addressOfLBAddressName(name);
    const use = address ? o.useOf(address) : undefined;
    if (use) planOne(plan, name, use, o.existing);
    else if (o.existing.has(name)) plan.delete.push(name);
  }
  return plan;
}

/**
 * The address an LBAddress name stands for, or undefined for a name herald would not have given (a stray
 * object: no address maps to it, so it is never wanted). The inverse of lbAddressName.
 */
export function addressOfLBAddressName(name: string): IPAddress | undefined {
  // lbAddressName writes ':' as '-' and pads a leading or trailing '-' with '0' ("0--1" is ::1).
  const parsed = parseAddress(name.replaceAll('-', ':'));
  return parsed.ok && lbAddressName(parsed.value) === name ? parsed.value : undefined;
}

function planOne(plan: LBAddressPlan, name: string, use: AddressUseView, existing: ReadonlyMap<string, LBAddress>): void {
  // Kept while no pool exists (see Allocator): leave any existing object as it is, create none.
  if (use.pool === '') return;
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
