import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PLAIN } from './paint.js';
import { facts, NOW, slice, svc, type FactsOptions } from './testing/factsFixture.js';
import { heraldView } from './heraldView.js';
import { explainReport, reasonWithHint } from './explainReport.js';
import { explainText } from './explainText.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
function explain(key: string, o: FactsOptions = {}, lbClass?: string) {
  const f = facts(o);
  const v = heraldView(f, { lbClass, nowMs: NOW, sha256 });
  const s = f.services.find((x) => `${x.metadata?.namespace}/${x.metadata?.name}` === key);
  return explainReport(v, s as Parameters<typeof explainReport>[1], key, { lbClass, events: [], sha256 });
}

describe('explainReport', () => {
  it.each([
    { name: 'assigned', key: 'app/api', reason: 'Assigned', addresses: ['192.0.2.101'] },
    { name: 'pending, pool full', key: 'app/late', reason: 'PoolExhausted', addresses: [] },
  ])('planService view: $name → $reason', ({ key, reason, addresses }) => {
    const r = explain(key);
    expect(r.assigned.planned).toMatchObject({ reason, addresses });
    expect(r.addresses.map((a) => a.address)).toEqual(addresses);
  });

  it('names Services sharing the address in the same namespace only', () => {
    const r = explain('app/web');
    expect(r.addresses[0]!.sharedWith).toEqual(['app/web-tls']);
    expect(JSON.stringify(r)).not.toContain('other/secret');
  });

  it('the ranking is sha256(node#address) ascending, and the owner is first', () => {
    const a = explain('app/api').addresses[0]!;
    const hashes = ['n1', 'n2', 'n3'].map((n) => [n, sha256(`${n}#192.0.2.101`).toString('hex')] as const).sort((x, y) => (x[1] < y[1] ? -1 : 1));
    expect(a.ranking.map((c) => c.node)).toEqual(hashes.map(([n]) => n));
    expect(a.ranking.map((c) => c.sha256)).toEqual(hashes.map(([, h]) => h.slice(0, 12)));
    expect(a.owner?.node).toBe(hashes[0]![0]);
  });

  it('a Windows node with the only endpoint of an eTP Local Service: nobody, each node with its reason', () => {
    const r = explain('app/win', { windowsNode: true, extraServices: [svc('app', 'win', { ip: '192.0.2.102', local: true })], slices: [slice('app', 'win', [{ node: 'w1' }])], poolAddresses: ['192.0.2.100-192.0.2.102'] });
    const a = r.addresses[0]!;
    expect(a).toMatchObject({ owner: null, noOwnerReason: 'NoEligibleNode' });
    expect(a.excluded).toEqual([
      { node: 'w1', reason: 'NotLinux', why: 'not a Linux node' },
      { node: 'n1', reason: 'NoLocalEndpoint', why: 'externalTrafficPolicy Local and no ready endpoint there' },
      { node: 'n2', reason: 'NoLocalEndpoint', why: 'externalTrafficPolicy Local and no ready endpoint there' },
      { node: 'n3', reason: 'NoLocalEndpoint', why: 'externalTrafficPolicy Local and no ready endpoint there' },
    ]);
    expect(explainText(r, PLAIN)).toMatch(/^ {4}w1 +NotLinux +not a Linux node$/m);
  });

  it('no endpoints: the message names no Service of another namespace, also where the speakers wrote one', () => {
    const f = facts({ slices: [] });
    const obj = f.addresses.find((a) => a.spec.address === '192.0.2.100')!;
    obj.status = { conditions: [{ type: 'Announced', status: 'False', reason: 'NoReadyEndpoints', message: 'no ready or serving endpoint for app/web, app/web-tls, other/secret', lastTransitionTime: '2026-12-06T11:00:00Z' }] };
    const r = explainReport(heraldView(f, { lbClass: undefined, nowMs: NOW, sha256 }), f.services[0] as never, 'app/web', { lbClass: undefined, events: [], sha256 });
    expect(JSON.stringify(r)).not.toContain('other/secret');
    expect(r.addresses[0]!.reported.announced).toBe('False NoReadyEndpoints: no ready or serving endpoint for any Service on 192.0.2.100');
    expect(r.addresses[0]).toMatchObject({ noOwnerReason: 'NoReadyEndpoints', message: 'no ready or serving endpoint for any Service on 192.0.2.100' });
  });

  it.each([
    { name: 'the speakers report the elected node', reported: 'elected', note: null },
    { name: 'the speakers moved it (heartbeats saw a death the Lease does not show yet)', reported: 'other', note: /the speakers moved it to n\d; n\d's Lease was renewed \ds ago \(duration 15s\)/ },
    { name: 'nobody reported yet', reported: 'none', note: /is elected but has not reported announcing it yet/ },
  ])('speakers vs election: $name', ({ reported, note }) => {
    const f = facts();
    const v = heraldView(f, { lbClass: undefined, nowMs: NOW, sha256 });
    const elected = v.addresses.find((a) => a.address === '192.0.2.101')!.election.owner!.node;
    const obj = f.addresses.find((a) => a.spec.address === '192.0.2.101')!;
    if (reported === 'none') delete obj.status;
    else obj.status = { ...obj.status, node: reported === 'elected' ? elected : ['n1', 'n2', 'n3'].find((n) => n !== elected)! };
    const r = explainReport(heraldView(f, { lbClass: undefined, nowMs: NOW, sha256 }), f.services.find((x) => x.metadata?.name === 'api') as never, 'app/api', { lbClass: undefined, events: [], sha256 });
    const a = r.addresses[0]!;
    if (note === null) expect(a.note).toBeNull();
    else expect(a.note).toMatch(note);
    expect(a.answeredBy).toBe(reported === 'none' ? null : obj.status!.node);
  });

  it.each([
    { name: 'another class', lbClass: 'x/y', notHerald: 'OtherClass' },
    { name: 'herald class', lbClass: undefined, notHerald: null },
  ])('not herald\'s: $name → $notHerald', ({ lbClass, notHerald }) => {
    expect(explain('app/api', {}, lbClass).notHerald).toBe(notHerald);
  });

  it.each([
    ['NotLinux', 'NotLinux (not a Linux node)'],
    ['NotMember', 'NotMember (no live, ready herald-speaker)'],
  ] as const)('reasonWithHint(%s) uses core wording', (reason, text) => expect(reasonWithHint(reason)).toBe(text));
});
