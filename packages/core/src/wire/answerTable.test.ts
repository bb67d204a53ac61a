import { describe, expect, it } from 'vitest';
import { parseAddressOrThrow } from '../ip/address.js';
import { AnswerTable, type AnswerChange, type AnswerEffect } from './answerTable.js';
import type { MacAddress } from './macAddress.js';

const ip = parseAddressOrThrow;
const eth0 = { ifname: 'eth0', ifindex: 2, mac: '02:00:00:00:00:01' as MacAddress };
const open: AnswerChange = { op: 'open', link: eth0 };
const add = (s: string, ifindex = 2): AnswerChange => ({ op: 'add', ifindex, address: ip(s) });
const remove = (s: string, ifindex = 2): AnswerChange => ({ op: 'remove', ifindex, address: ip(s) });

describe('AnswerTable', () => {
  it.each<{ name: string; before: AnswerChange[]; change: AnswerChange; effects: AnswerEffect[]; owns: [string, boolean][] }>([
    { name: 'opening a link opens its ARP socket', before: [], change: open, effects: ['OpenLink'], owns: [] },
    { name: 'opening it again changes nothing', before: [open], change: open, effects: [], owns: [] },
    { name: 'the same index with another MAC is another link: the old one closes first', before: [open, add('192.0.2.1')], change: { op: 'open', link: { ...eth0, mac: '02:00:00:00:00:02' as MacAddress } }, effects: ['CloseLink', 'OpenLink'], owns: [['192.0.2.1', false]] },
    { name: 'an IPv4 address needs no new socket', before: [open], change: add('192.0.2.1'), effects: [], owns: [['192.0.2.1', true]] },
    { name: 'the first IPv6 address opens the NDP sockets', before: [open], change: add('2001:db8::1'), effects: ['OpenIPv6'], owns: [['2001:db8::1', true]] },
    { name: 'a second IPv6 address does not', before: [open, add('2001:db8::1')], change: add('2001:db8::2'), effects: [], owns: [['2001:db8::2', true], ['2001:db8::1', true]] },
    { name: 'an address added twice is counted once', before: [open, add('2001:db8::1'), add('2001:db8::1')], change: remove('2001:db8::1'), effects: ['CloseIPv6'], owns: [['2001:db8::1', false]] },
    { name: 'the last IPv6 address closes the NDP sockets', before: [open, add('2001:db8::1'), add('2001:db8::2'), remove('2001:db8::2')], change: remove('2001:db8::1'), effects: ['CloseIPv6'], owns: [['2001:db8::1', false]] },
    { name: 'removing an address not answered changes nothing', before: [open], change: remove('192.0.2.9'), effects: [], owns: [] },
    { name: 'an address on a link never opened is ignored', before: [], change: add('192.0.2.1', 7), effects: [], owns: [['192.0.2.1', false]] },
    { name: 'closing a link with IPv6 addresses closes both', before: [open, add('192.0.2.1'), add('2001:db8::1')], change: { op: 'close', ifindex: 2 }, effects: ['CloseIPv6', 'CloseLink'], owns: [['192.0.2.1', false], ['2001:db8::1', false]] },
    { name: 'closing a link with IPv4 only closes its ARP socket', before: [open, add('192.0.2.1')], change: { op: 'close', ifindex: 2 }, effects: ['CloseLink'], owns: [['192.0.2.1', false]] },
    { name: 'closing a link not open changes nothing', before: [], change: { op: 'close', ifindex: 2 }, effects: [], owns: [] },
  ])('$name', ({ before, change, effects, owns }) => {
    const t = new AnswerTable();
    for (const c of before) t.apply(c);
    expect(t.apply(change)).toEqual(effects);
    for (const [a, owned] of owns) expect(t.owns(2, ip(a)), a).toBe(owned);
  });

  it('keeps links apart: an address owned on one link is not owned on another', () => {
    const t = new AnswerTable();
    t.apply(open);
    t.apply({ op: 'open', link: { ifname: 'eth1', ifindex: 3, mac: '02:00:00:00:00:03' as MacAddress } });
    t.apply(add('192.0.2.1', 3));
    expect([t.owns(3, ip('192.0.2.1')), t.owns(2, ip('192.0.2.1')), t.size(3), t.size(2)]).toEqual([true, false, 1, 0]);
    expect(t.linkIndexes()).toEqual([2, 3]);
  });
});
