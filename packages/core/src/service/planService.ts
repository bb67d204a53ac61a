import { readAllocationRequest } from '../allocation/allocationRequest.js';
import type { Allocator, AssignOutcome, Release } from '../allocation/allocator.js';
import type { AssignReason } from '../allocation/assignReason.js';
import type { ServiceObject } from '../allocation/serviceObject.js';
import { ANNOTATION } from '../allocation/annotations.js';
import type { Condition, LBAddress } from '../api/v1beta1.js';
import { formatAddress, type IPAddress } from '../ip/address.js';
import { ADDRESS_ASSIGNED, announcedCondition, assignedCondition, currentIngress, invalidRequestCondition, sameList, type ConditionInput } from './serviceConditions.js';

/** A Service as the controller sees it: the parts core reads, plus the conditions it shows now. */
export type ServiceView = ServiceObject & { status?: ServiceObject['status'] & { conditions?: readonly ConditionInput[] } };

/** The facts a plan may read besides the Service itself. `allocator` is updated by the plan (no I/O). */
export interface ServiceWorld {
  readonly allocator: Allocator;
  /** Only Services of this loadBalancerClass are herald's; undefined means Services without a class. */
  readonly lbClass: string | undefined;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** True if some L2Advertisement applies to the pool. */
  hasAdvertisement(pool: string): boolean;
  lbAddressOf(address: IPAddress): LBAddress | undefined;
}

export interface PlannedEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
  /** Emit at most once per process for this key (deprecation warnings); undefined = every time planned. */
  readonly once?: string;
}

/** Why herald lets go of a Service. */
export type ForgetReason = 'Deleted' | 'NotLoadBalancer' | 'OtherClass';

interface PlanCommon {
  readonly key: string;
  /** Addresses whose users changed (taken, joined, left): LBAddress objects need a sync. */
  readonly addressesChanged: boolean;
  /** A change to some address's users: Services waiting for an address must be planned again. */
  readonly retryWaiting: boolean;
  /** Emitted now, whatever is written (releases, deprecations). */
  readonly events: readonly PlannedEvent[];
  readonly released: readonly Release[];
}

export interface ManagePlan extends PlanCommon {
  readonly kind: 'manage';
  readonly reason: AssignReason;
  readonly status: { readonly ingress: string[]; readonly conditions: ConditionInput[] };
  readonly pool: string | undefined;
  /** True while the Service waits for an address (it is planned again when addresses change). */
  readonly waiting: boolean;
  /** The AddressAssigned transition this plan makes, if any: emitted only when the status is written. */
  readonly transition: PlannedEvent | undefined;
}

export interface ForgetPlan extends PlanCommon {
  readonly kind: 'forget';
  readonly why: ForgetReason;
  /** True if herald wrote on the Service (address or condition) and must clear it. */
  readonly clear: boolean;
}

export type ServicePlan = ManagePlan | ForgetPlan;

/**
 * Decides everything about one Service: its addresses (recorded in the allocator), the status and
 * conditions it should show, the events to emit, and what else must follow (LBAddress sync, Services
 * waiting on a changed address). The controller gathers the facts and applies the plan; no I/O here.
 */
export function planService(world: ServiceWorld, key: string, svc: ServiceView | undefined): ServicePlan {
  const why: ForgetReason | undefined = !svc ? 'Deleted' : svc.spec.type !== 'LoadBalancer' ? 'NotLoadBalancer' : (svc.spec.loadBalancerClass ?? undefined) !== world.lbClass ? 'OtherClass' : undefined;
  if (!svc || why) {
    const { left } = world.allocator.leave(key);
    // Another implementation's address on a Service of another class is not ours to clear: only our marks count.
    const ours = !!svc && (svc.metadata.annotations?.[ANNOTATION.allocatedFromPool] !== undefined || !!svc.status?.conditions?.some((c) => c.type === ADDRESS_ASSIGNED));
    return { kind: 'forget', key, why: why ?? 'Deleted', clear: ours && why !== 'Deleted', addressesChanged: left.length > 0, retryWaiting: left.length > 0, events: [], released: [] };
  }

  const before = world.allocator.assignmentOf(key).map(formatAddress);
  const termsBefore = world.allocator.sharingTermsOf(key);
  const parsed = readAllocationRequest(svc, world.namespaceLabels);
  const events: PlannedEvent[] = [];
  let outcome: AssignOutcome;
  let assigned: ConditionInput;
  if (parsed.ok) {
    for (const alias of parsed.value.aliases) {
      events.push({ type: 'Warning', reason: 'DeprecatedAnnotation', message: `annotation ${alias.used} is honoured; use ${alias.preferred} instead`, once: `${key}|${alias.used}` });
    }
    outcome = world.allocator.assign(parsed.value.request);
    assigned = assignedCondition(outcome);
  } else {
    // Bad input loses nothing: what the Service holds is re-claimed with the usual checks (so no other
    // Service is handed it, also after a restart), and the condition says why nothing else happens.
    outcome = world.allocator.assign(parsed.error.keep);
    assigned = invalidRequestCondition(parsed.error.detail, outcome.addresses.map(formatAddress));
  }
  for (const r of outcome.released) {
    events.push({ type: 'Warning', reason: 'AddressReleased', message: `${formatAddress(r.address)} released: ${r.detail}` });
  }
  const ingress = outcome.addresses.map(formatAddress);
  const pool = outcome.pool;
  const reason: AssignReason = parsed.ok ? (outcome.ok ? 'Assigned' : outcome.reason) : 'InvalidRequest';
  const conditions = [assigned, announcedCondition(outcome.addresses, pool, pool ? world.hasAdvertisement(pool) : false, (a) => world.lbAddressOf(a))];
  // Any change to an address's users (who, or the terms they share under) may let a waiting Service in.
  const changed = outcome.released.length > 0 || !sameList(before, ingress) || termsBefore !== world.allocator.sharingTermsOf(key);
  return {
    kind: 'manage',
    key,
    reason,
    status: { ingress, conditions },
    pool,
    waiting: !outcome.ok && parsed.ok,
    transition: transitionEvent(svc, assigned, ingress),
    addressesChanged: changed,
    retryWaiting: changed,
    events,
    released: outcome.released,
  };
}

/**
 * The event for a change of the AddressAssigned condition (or of the addresses while it stays True);
 * undefined when the Service already shows this outcome, so a resync emits nothing.
 */
export function transitionEvent(svc: ServiceView, assigned: ConditionInput, ingress: readonly string[]): PlannedEvent | undefined {
  const previous = svc.status?.conditions?.find((c: Pick<Condition, 'type'>) => c.type === ADDRESS_ASSIGNED);
  const ingressChanged = !sameList(currentIngress(svc), ingress);
  if (previous && previous.reason === assigned.reason && previous.status === assigned.status && !(assigned.status === 'True' && ingressChanged)) return undefined;
  return assigned.status === 'True'
    ? { type: 'Normal', reason: 'AddressAssigned', message: `Assigned ${assigned.message}` }
    : { type: 'Warning', reason: assigned.reason, message: assigned.message };
}
