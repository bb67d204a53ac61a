import type { StatusPlan } from './lbAddressStatusPlan.js';

/**
 * Which status writes go first:
 * - OwnerChanged: the status names another node (or one that no longer answers), so users and tools read a
 *   wrong owner until it is written — a failover's status;
 * - Routine: a first status for a new address, or a detail (interface, MAC, condition message).
 */
export type StatusWritePriority = 'OwnerChanged' | 'Routine';

/**
 * A failover's status must not queue behind a backlog of routine writes (a node that has just taken over
 * 10,000 new addresses writes for minutes on a busy API server): a write that changes the named node goes
 * first.
 */
export function statusWritePriority(plan: StatusPlan & { write: true }): StatusWritePriority {
  return plan.previousNode !== undefined ? 'OwnerChanged' : 'Routine';
}
