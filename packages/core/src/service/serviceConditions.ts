import type { AssignOutcome } from '../allocation/allocator.js';
import type { Condition, LBAddress } from '../api/v1beta1.js';
import { formatAddress, type IPAddress } from '../ip/address.js';

export const ADDRESS_ASSIGNED = 'herald.dev/AddressAssigned';
export const ANNOUNCED = 'herald.dev/Announced';

/** A condition as herald decides it; timestamps are added by whoever writes it. */
export type ConditionInput = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

export function assignedCondition(outcome: AssignOutcome): ConditionInput {
  if (outcome.ok) {
    return { type: ADDRESS_ASSIGNED, status: 'True', reason: 'Assigned', message: `${outcome.addresses.map(formatAddress).join(', ')} from pool "${outcome.pool}"` };
  }
  const kept = outcome.addresses.length ? ` (keeping ${outcome.addresses.map(formatAddress).join(', ')})` : '';
  return { type: ADDRESS_ASSIGNED, status: 'False', reason: outcome.reason, message: `${outcome.detail}${kept}` };
}

export function invalidRequestCondition(detail: string, kept: readonly string[]): ConditionInput {
  const keeping = kept.length ? ` (keeping ${kept.join(', ')} until the request is fixed)` : '';
  return { type: ADDRESS_ASSIGNED, status: 'False', reason: 'InvalidRequest', message: `${detail}${keeping}` };
}

/**
 * The Announced condition mirrors the speakers' LBAddress status: True once every address of the Service
 * is answered for by some node; otherwise the first reason a speaker reported, or that no L2Advertisement
 * covers the pool (the address is assigned but nobody will answer for it).
 */
export function announcedCondition(
  addresses: readonly IPAddress[],
  pool: string | undefined,
  hasAdvertisement: boolean,
  lbAddressOf: (a: IPAddress) => LBAddress | undefined,
): ConditionInput {
  if (addresses.length === 0) return { type: ANNOUNCED, status: 'False', reason: 'NoAddress', message: 'the Service has no address yet' };
  if (!hasAdvertisement) {
    return { type: ANNOUNCED, status: 'False', reason: 'NoL2Advertisement', message: `no L2Advertisement selects pool "${pool}"; the address is assigned but not announced` };
  }
  const parts: string[] = [];
  for (const a of addresses) {
    const status = lbAddressOf(a)?.status;
    const speakerSays: Condition | undefined = status?.conditions?.find((c) => c.type === 'Announced');
    if (status?.node) {
      parts.push(`${formatAddress(a)} from node ${status.node}${status.interface ? ` on ${status.interface}` : ''}${status.mac ? ` (${status.mac})` : ''}`);
    } else if (speakerSays && speakerSays.status === 'False') {
      return { type: ANNOUNCED, status: 'False', reason: speakerSays.reason, message: `${formatAddress(a)}: ${speakerSays.message}` };
    } else {
      return { type: ANNOUNCED, status: 'Unknown', reason: 'AwaitingSpeaker', message: `no speaker has announced ${formatAddress(a)} yet` };
    }
  }
  return { type: ANNOUNCED, status: 'True', reason: 'Announcing', message: parts.join('; ') };
}

/** Ingress IPs as the Service shows them now (hostnames are not ours and are ignored). */
export const currentIngress = (svc: { status?: { loadBalancer?: { ingress?: { ip?: string }[] } } }): string[] =>
  (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).filter((ip): ip is string => !!ip);

export const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
