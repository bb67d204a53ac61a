import { describe, expect, it } from 'vitest';
import type { LBAddressStatus } from '../api/v1beta1.js';
import { lbAddressStatusPlan, type StatusPlanInput } from './lbAddressStatusPlan.js';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:01:00.000Z';
const announcing = (node: string, extra: Partial<LBAddressStatus> = {}): LBAddressStatus => ({
  node, interface: 'eth0', mac: '02:00:00:00:00:01', since: T0, lastGratuitous: T0, transitions: 1,
  conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: `announced by ${node} on eth0`, lastTransitionTime: T0 }],
  ...extra,
});
const noOwner = (reason: string, message: string): LBAddressStatus => ({ conditions: [{ type: 'Announced', status: 'False', reason, message, lastTransitionTime: T0 }] });
const owned = { owner: 'a', reason: undefined, message: '' } as const;
const unowned = { owner: undefined, reason: 'NoL2Advertisement', message: 'no L2Advertisement selects pool "p"' } as const;
const onEth0 = { interface: 'eth0', mac: '02:00:00:00:00:01', at: T1 };
const input = (over: Partial<StatusPlanInput>): StatusPlanInput => ({ self: 'a', current: undefined, election: owned, announced: onEth0, heldBy: [], reporter: 'a', now: T1, ...over });

describe('lbAddressStatusPlan', () => {
  it.each([
    ['another node is elected: only the owner writes', { election: { ...owned, owner: 'b' } }, 'NotOwner'],
    ['a stale claimant (elected elsewhere) never overwrites the owner it sees', { election: { ...owned, owner: 'b' }, current: announcing('b') }, 'NotOwner'],
    ['elected but no gratuitous packet sent yet', { announced: undefined }, 'NotYetAnnounced'],
    ['the status already names this node, interface and MAC', { current: announcing('a') }, 'UpToDate'],
    ['the previous owner still lists the address in its heartbeats', { current: announcing('b'), heldBy: ['b'] }, 'PreviousOwnerAnswering'],
    ['nobody elected, but this node still answers', { election: unowned }, 'StillAnswered'],
    ['nobody elected, but a live peer still answers', { election: unowned, announced: undefined, heldBy: ['b'] }, 'StillAnswered'],
    ['nobody elected and another node is the reporter', { election: unowned, announced: undefined, reporter: 'b' }, 'NotReporter'],
    ['nobody elected and the status already says why', { election: unowned, announced: undefined, current: noOwner(unowned.reason, unowned.message) }, 'UpToDate'],
    ['nobody elected and our own just-written copy (fields still null) already says why', { election: unowned, announced: undefined, current: { ...noOwner(unowned.reason, unowned.message), node: null } as unknown as LBAddressStatus }, 'UpToDate'],
  ] as const)('writes nothing when %s', (_name, over, why) => {
    expect(lbAddressStatusPlan(input(over as Partial<StatusPlanInput>))).toEqual({ write: false, why });
  });

  it('the owner names itself once it answers, counting a transition from the previous node', () => {
    const plan = lbAddressStatusPlan(input({ current: announcing('b', { transitions: 4 }), heldBy: [] }));
    expect(plan).toEqual({
      write: true, kind: 'Owner', previousNode: 'b',
      status: {
        node: 'a', interface: 'eth0', mac: '02:00:00:00:00:01', since: T1, lastGratuitous: T1, transitions: 5,
        conditions: [{ type: 'Announced', status: 'True', reason: 'Announcing', message: 'announced by a on eth0', lastTransitionTime: T0 }],
      },
    });
  });

  it('the owner rewrites its own status when the interface changed, without counting a transition', () => {
    const plan = lbAddressStatusPlan(input({ current: announcing('a', { transitions: 2 }), announced: { ...onEth0, interface: 'eth1' } }));
    expect(plan).toMatchObject({ write: true, previousNode: undefined, status: { interface: 'eth1', transitions: 2 } });
  });

  it('a first owner of a fresh address records the first transition at its first gratuitous packet', () => {
    expect(lbAddressStatusPlan(input({}))).toMatchObject({ write: true, status: { transitions: 1, since: T1, conditions: [{ lastTransitionTime: T1 }] } });
  });

  it('the reporter clears node, interface and MAC and says why nobody answers', () => {
    const plan = lbAddressStatusPlan(input({ election: unowned, announced: undefined, current: announcing('b') }));
    expect(plan).toEqual({
      write: true, kind: 'NoOwner', previousNode: 'b',
      status: { node: null, interface: null, mac: null, since: null, lastGratuitous: null, conditions: [{ type: 'Announced', status: 'False', reason: 'NoL2Advertisement', message: unowned.message, lastTransitionTime: T1 }] },
    });
  });

  it('a changed no-owner message is rewritten, keeping the time the condition turned False', () => {
    const plan = lbAddressStatusPlan(input({ election: { owner: undefined, reason: 'NoEligibleNode', message: 'no node can announce x: NotMember: b' }, announced: undefined, current: noOwner('NoL2Advertisement', 'old') }));
    expect(plan).toMatchObject({ write: true, status: { conditions: [{ reason: 'NoEligibleNode', lastTransitionTime: T0 }] } });
  });

  it('story: repeating the same facts after a write plans no second write (idempotent)', () => {
    let current: LBAddressStatus | undefined;
    const writes: unknown[] = [];
    for (const step of [input({}), input({}), input({ election: unowned, announced: undefined }), input({ election: unowned, announced: undefined })]) {
      const plan = lbAddressStatusPlan({ ...step, current });
      if (!plan.write) continue;
      writes.push(plan.status);
      const merged = { ...current, ...plan.status } as Record<string, unknown>;
      for (const k of Object.keys(merged)) if (merged[k] === null) delete merged[k];
      current = merged as LBAddressStatus;
    }
    expect(writes).toHaveLength(2);
  });
});
