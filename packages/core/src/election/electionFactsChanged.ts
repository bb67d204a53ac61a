import type { LBAddress } from '../api/v1beta1.js';

type AddressFacts = Pick<LBAddress, 'metadata' | 'spec'>;

/**
 * Whether an LBAddress update can change its election: only what the election reads of it counts — the
 * address, the pool and the Services it serves (spec; `serviceNames` is the controller's printer column).
 * Its status never does: at 10,000 addresses the owner writes 10,000 statuses after a take-over, and every
 * speaker re-read each one for the election. An object re-created under the same name (another uid, seen
 * as an update after a re-list) counts as changed.
 */
export function electionFactsChanged(previous: AddressFacts | undefined, next: AddressFacts): boolean {
  if (!previous || previous.metadata.uid !== next.metadata.uid) return true;
  const a = previous.spec;
  const b = next.spec;
  if (a === b) return false;
  if (!a || !b || a.address !== b.address || a.pool !== b.pool) return true;
  const as = a.services ?? [];
  const bs = b.services ?? [];
  return as.length !== bs.length || as.some((s, i) => s.namespace !== bs[i]?.namespace || s.name !== bs[i]?.name);
}
