import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { facts, NOW, slice, svc } from './testing/factsFixture.js';
import { heraldView, speakerStates } from './heraldView.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
const view = (f = facts()) => heraldView(f, { lbClass: undefined, nowMs: NOW, sha256 });

describe('speakerStates: a speaker as its Lease shows it', () => {
  it.each([
    { name: 'renewed within its duration, ready', s: { ago: 3 }, state: 'Ready', alive: true },
    { name: 'renewed 20 s ago, duration 15 s', s: { ago: 20 }, state: 'Dead', alive: false },
    { name: 'starting', s: { ago: 1, ready: false }, state: 'NotReady', alive: true },
    { name: 'shutting down', s: { ago: 1, draining: true }, state: 'Draining', alive: true },
    { name: 'draining but expired', s: { ago: 30, draining: true }, state: 'Dead', alive: false },
  ])('$name → $state', ({ s, state, alive }) => {
    const [only] = speakerStates(facts({ speakers: { n1: s } }).leases, NOW);
    expect(only).toMatchObject({ node: 'n1', state, alive, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }], heartbeatAddress: '192.0.2.11' });
  });
});

describe('heraldView: core decisions replayed over listed facts', () => {
  it('keeps held addresses and finds the pool exhausted for the newcomer (planService)', () => {
    const v = view();
    expect(v.plans.get('app/web')).toMatchObject({ reason: 'Assigned', status: { ingress: ['192.0.2.100'] }, pool: 'lan' });
    expect(v.plans.get('app/late')).toMatchObject({ reason: 'PoolExhausted', waiting: true });
    expect(v.allocator.usage('lan')?.v4).toEqual({ total: 2n, inUse: 2n });
  });

  it.each([
    { name: 'every speaker alive: an owner', speakers: undefined, owner: true, reason: undefined },
    { name: 'every Lease expired: NoEligibleNode, all NotMember', speakers: { n1: { ago: 99 }, n2: { ago: 99 }, n3: { ago: 99 } }, owner: false, reason: 'NoEligibleNode' },
  ])('electOwner per LBAddress: $name', ({ speakers, owner, reason }) => {
    const a = view(facts(speakers ? { speakers } : {})).addresses.find((x) => x.address === '192.0.2.101')!;
    expect(!!a.election.owner).toBe(owner);
    expect(a.election.reason).toBe(reason);
    if (!owner) expect([...a.election.excluded.values()]).toEqual(['NotMember', 'NotMember', 'NotMember']);
  });

  it('an eTP Local Service whose only endpoint is on a Windows node: NotLinux there, NoLocalEndpoint elsewhere', () => {
    const f = facts({ windowsNode: true, extraServices: [svc('app', 'win', { ip: '192.0.2.102', local: true })], slices: [slice('app', 'win', [{ node: 'w1' }])], poolAddresses: ['192.0.2.100-192.0.2.102'] });
    const a = view(f).addresses.find((x) => x.address === '192.0.2.102')!;
    expect(a.election.reason).toBe('NoEligibleNode');
    expect(Object.fromEntries(a.election.excluded)).toEqual({ n1: 'NoLocalEndpoint', n2: 'NoLocalEndpoint', n3: 'NoLocalEndpoint', w1: 'NotLinux' });
  });

  it.each([
    { name: 'a whole cluster starting (2 s ago): the starting node that will win an unanswered address owns it, as the speakers count it', startedAgoMs: 2_000, owner: true },
    { name: 'still starting after the 30 s hold: nobody', startedAgoMs: 40_000, owner: false },
  ])('$name', ({ startedAgoMs, owner }) => {
    const starting = { ago: 1, ready: false, incarnation: NOW - startedAgoMs };
    const f = facts({ speakers: { n1: starting, n2: starting, n3: starting }, extraServices: [svc('app', 'new', { ip: '192.0.2.102' })], slices: [slice('app', 'new', [{ node: 'n1' }])], poolAddresses: ['192.0.2.100-192.0.2.102'] });
    const a = view(f).addresses.find((x) => x.address === '192.0.2.102')!;
    // Before: the CLI knew no not-ready time, so every starting speaker was NotMember and it named no owner
    // while the speakers (candidateNodes: 'Starting') had one answering.
    expect(!!a.election.owner).toBe(owner);
    if (!owner) expect([...a.election.excluded.values()]).toEqual(['NotMember', 'NotMember', 'NotMember']);
  });

  it('a draining speaker ranks last; the reporter of an unowned address is the first ready node by name (noOwnerReporter)', () => {
    const v = view(facts({ speakers: { n1: { ago: 1, draining: true }, n2: { ago: 1 }, n3: { ago: 1 } } }));
    for (const a of v.addresses) expect(a.election.ranked.at(-1)?.node).toBe('n1');
    const none = view(facts({ speakers: { n1: { ago: 1, draining: true }, n2: { ago: 1 } }, extraServices: [svc('app', 'noeps', { ip: '192.0.2.102' })], poolAddresses: ['192.0.2.100-192.0.2.102'] }));
    const a = none.addresses.find((x) => x.address === '192.0.2.102')!;
    expect(a.election.reason).toBe('NoReadyEndpoints');
    expect(a.reporter).toBe('n2');
  });
});
