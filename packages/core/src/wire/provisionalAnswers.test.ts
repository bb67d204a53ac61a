import { describe, expect, it } from 'vitest';
import { parseAddressOrThrow } from '../ip/address.js';
import { AnswerTable, type AnswerChange } from './answerTable.js';
import { ProvisionalAnswers, type ProvisionalAddress, type StandbyAddress } from './provisionalAnswers.js';
import type { MacAddress } from './macAddress.js';

const ip = parseAddressOrThrow;
const ETH0 = { ifname: 'eth0', ifindex: 2, mac: '02:00:00:00:00:02' as MacAddress };
const ETH1 = { ifname: 'eth1', ifindex: 9, mac: '02:00:00:00:00:09' as MacAddress };
const A: StandbyAddress = { link: ETH0, address: ip('192.0.2.100') };
const B: StandbyAddress = { link: ETH0, address: ip('2001:db8::100') };
const C: StandbyAddress = { link: ETH0, address: ip('192.0.2.101') };
/** On a link the announcer has not opened (this node answers nothing there). */
const OFF_LINK: StandbyAddress = { link: ETH1, address: ip('192.0.2.102') };
/** As the answering side reports and releases them. */
const at = (s: StandbyAddress): ProvisionalAddress => ({ ifindex: s.link.ifindex, address: s.address });

/** A table with eth0 open and answering 192.0.2.1 (the announcer's), a plan for peer n2, and p. */
function scene(plan: Readonly<Record<string, readonly StandbyAddress[]>> = { n2: [A, B, OFF_LINK] }) {
  const table = new AnswerTable();
  const p = new ProvisionalAnswers({ holdMs: 2_000 });
  const apply = (cs: readonly AnswerChange[], announcer = false) => {
    for (const c of cs) {
      table.apply(c);
      if (announcer) p.announcerChanged(c, table);
    }
  };
  apply([{ op: 'open', link: ETH0 }, { op: 'add', ifindex: 2, address: ip('192.0.2.1') }], true);
  p.setPlan(new Map(Object.entries(plan)));
  return { table, p, apply };
}
const owned = (t: AnswerTable, ...s: StandbyAddress[]) => s.map((x) => t.owns(x.link.ifindex, x.address));

describe('ProvisionalAnswers', () => {
  it('a planned peer\'s death: adds its addresses, opening a link the announcer has not, once', () => {
    const { table, p, apply } = scene();
    const adds = p.takeOver('n2', 1_000, table);
    expect(adds).toEqual([{ op: 'add', ...at(A) }, { op: 'add', ...at(B) }, { op: 'open', link: ETH1 }, { op: 'add', ...at(OFF_LINK) }]);
    apply(adds);
    expect(owned(table, A, B, OFF_LINK)).toEqual([true, true, true]);
    expect(p.size()).toBe(3);
    // The plan is used once; a second death notice for the same peer adds nothing.
    expect(p.takeOver('n2', 1_100, table)).toEqual([]);
  });

  it.each([
    ['a peer nothing is planned for', 'n3', { n2: [A] }, []],
    ['an address the announcer answers already (it stays the announcer\'s)', 'n2', { n2: [{ link: ETH0, address: ip('192.0.2.1') }] }, []],
    ['a link the announcer has open as another link (a plan older than the link)', 'n2', { n2: [{ link: { ...ETH0, mac: '02:00:00:00:00:07' as MacAddress }, address: A.address }] }, []],
  ] as const)('takes nothing over for %s', (_n, peer, plan, expected) => {
    const { table, p } = scene(plan);
    expect(p.takeOver(peer, 0, table)).toEqual(expected);
    expect(p.size()).toBe(0);
  });

  it('a new plan replaces the old one', () => {
    const { table, p } = scene();
    p.setPlan(new Map([['n3', [C]]]));
    expect(p.takeOver('n2', 0, table)).toEqual([]);
    expect(p.takeOver('n3', 0, table)).toEqual([{ op: 'add', ...at(C) }]);
  });

  it.each<[string, (s: ReturnType<typeof scene>) => void, boolean[], number]>([
    ['the announcer adds it: confirmed, released no more, never expires', ({ apply }) => apply([{ op: 'add', ...at(A) }], true), [true, false], 1],
    ['the announcer removes it', ({ apply }) => apply([{ op: 'remove', ...at(A) }], true), [false, false], 1],
    ['the announcer closes the link', ({ apply }) => apply([{ op: 'close', ifindex: 2 }], true), [false, false], 0],
    ['the announcer opens the link again as another link (re-created)', ({ apply }) => apply([{ op: 'open', link: { ...ETH0, mac: '02:00:00:00:00:09' as MacAddress } }], true), [false, false], 0],
    ['the announcer opens the same link again: still held (so released)', ({ apply }) => apply([{ op: 'open', link: ETH0 }], true), [false, false], 2],
  ])('%s', (_n, change, expectedOwned, held) => {
    const s = scene({ n2: [A, B] });
    s.apply(s.p.takeOver('n2', 0, s.table));
    change(s);
    expect(s.p.size()).toBe(held);
    // Whatever is still provisional is what a release or the hold's end gives back.
    s.apply(s.p.release([at(A), at(B)], s.table));
    expect(owned(s.table, A, B)).toEqual(expectedOwned);
    expect(s.p.size()).toBe(0);
  });

  it('a release removes only what is still provisional', () => {
    const { table, p, apply } = scene({ n2: [A, B] });
    apply(p.takeOver('n2', 0, table));
    apply([{ op: 'add', ...at(A) }], true);
    expect(p.release([at(A), at(B), at(C)], table)).toEqual([{ op: 'remove', ...at(B) }]);
  });

  it('a link opened for a takeover is closed with its last provisional address, unless the announcer opened it meanwhile', () => {
    const second: StandbyAddress = { link: ETH1, address: ip('192.0.2.103') };
    const s = scene({ n2: [OFF_LINK, second] });
    s.apply(s.p.takeOver('n2', 0, s.table));
    const first = s.p.release([at(OFF_LINK)], s.table);
    expect(first).toEqual([{ op: 'remove', ...at(OFF_LINK) }]);
    s.apply(first);
    expect(s.p.release([at(second)], s.table)).toEqual([{ op: 'remove', ...at(second) }, { op: 'close', ifindex: 9 }]);

    const t = scene({ n2: [OFF_LINK] });
    t.apply(t.p.takeOver('n2', 0, t.table));
    t.apply([{ op: 'open', link: ETH1 }], true);
    expect(t.p.release([at(OFF_LINK)], t.table)).toEqual([{ op: 'remove', ...at(OFF_LINK) }]);
  });

  it('an address held holdMs without the announcer\'s word expires; the announcer\'s stay', () => {
    const { table, p, apply } = scene({ n2: [A], n3: [C] });
    apply(p.takeOver('n2', 1_000, table));
    apply(p.takeOver('n3', 1_500, table));
    expect(p.nextExpiryMs()).toBe(3_000);
    expect(p.expire(2_999, table)).toEqual([]);
    expect(p.expire(3_000, table)).toEqual([{ op: 'remove', ...at(A) }]);
    expect(p.nextExpiryMs()).toBe(3_500);
    apply([{ op: 'add', ...at(C) }], true);
    expect(p.expire(10_000, table)).toEqual([]);
    expect(p.nextExpiryMs()).toBeUndefined();
  });

  it('a peer alive again (a refuted false death): what was taken from it and is still provisional stops, its plan is back', () => {
    const s = scene({ n2: [A, OFF_LINK], n3: [C] });
    s.apply(s.p.takeOver('n2', 0, s.table));
    s.apply(s.p.takeOver('n3', 0, s.table));
    // The announcer confirmed A meanwhile: that one is its own, and its election moves it back.
    s.apply([{ op: 'add', ...at(A) }], true);
    const back = s.p.peerAlive('n2', s.table);
    expect(back).toEqual([{ op: 'remove', ...at(OFF_LINK) }, { op: 'close', ifindex: 9 }]);
    s.apply(back);
    expect(owned(s.table, A, OFF_LINK, C)).toEqual([true, false, true]);
    expect(s.p.size()).toBe(1);
    // Another peer's return touches nothing of n2's; n2's next death takes its plan over again.
    expect(s.p.peerAlive('n4', s.table)).toEqual([]);
    expect(s.p.takeOver('n2', 100, s.table)).toEqual([{ op: 'open', link: ETH1 }, { op: 'add', ...at(OFF_LINK) }]);
  });

  it('a new plan after the death wins over the used one at the peer\'s return', () => {
    const s = scene({ n2: [A] });
    s.apply(s.p.takeOver('n2', 0, s.table));
    s.p.setPlan(new Map([['n2', [C]]]));
    s.apply(s.p.peerAlive('n2', s.table));
    expect(s.p.takeOver('n2', 0, s.table)).toEqual([{ op: 'add', ...at(C) }]);
  });
});
