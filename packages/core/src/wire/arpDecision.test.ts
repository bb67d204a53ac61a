import { describe, expect, it } from 'vitest';
import { decideArp } from './arpDecision.js';
import { decodeArpFrame, encodeArpFrame, type ArpFrame } from './arpFrame.js';
import { gratuitousArp } from './gratuitousArp.js';
import type { MacAddress } from './macAddress.js';
import { addr, arpRequest, BROADCAST, mac, OTHER_SPEAKER, OURS, PEER, PEER2, VIP_V4, wireContext, ZERO } from './testing/fixtures.js';

const ctx = wireContext([VIP_V4, addr('192.0.2.11')]);

describe('decideArp replies', () => {
  it.each<{ name: string; frame: ArpFrame; targetIp: string }>([
    { name: 'a broadcast request for an owned address', frame: arpRequest(), targetIp: '192.0.2.50' },
    { name: 'a unicast request to our MAC (arping after the first answer)', frame: arpRequest({ ethernetDestination: OURS }), targetIp: '192.0.2.50' },
    { name: 'a request for the second owned address', frame: arpRequest({ targetIp: addr('192.0.2.11') }), targetIp: '192.0.2.50' },
    { name: 'an RFC 5227 probe (sender 0.0.0.0), which the reply defends', frame: arpRequest({ senderIp: addr('0.0.0.0') }), targetIp: '0.0.0.0' },
    { name: 'a requester from another subnet (not filtered, as MetalLB)', frame: arpRequest({ senderIp: addr('203.0.113.5') }), targetIp: '203.0.113.5' },
    { name: 'a request whose target MAC is already filled in', frame: arpRequest({ targetMac: OURS }), targetIp: '192.0.2.50' },
  ])('answers $name, unicast to the requester with our MAC', ({ frame, targetIp }) => {
    const d = decideArp(encodeArpFrame(frame), ctx);
    expect(d.kind).toBe('reply');
    if (d.kind !== 'reply') return;
    expect(d.address).toEqual(frame.targetIp);
    expect(d.to).toBe(frame.senderMac);
    const reply = decodeArpFrame(d.frame);
    expect(reply).toEqual({
      ok: true,
      value: {
        ethernetDestination: frame.senderMac,
        ethernetSource: OURS,
        operation: 'reply',
        senderMac: OURS,
        senderIp: frame.targetIp,
        targetMac: frame.senderMac,
        targetIp: addr(targetIp),
      },
    });
  });
});

describe('decideArp conflicts', () => {
  const foreign = gratuitousArp(PEER, addr('192.0.2.10'));
  it.each<{ name: string; frame: ArpFrame; address: string; mac: MacAddress }>([
    { name: 'a foreign GARP request for an owned address', frame: foreign.request, address: '192.0.2.10', mac: PEER },
    { name: 'a foreign GARP reply for an owned address', frame: foreign.reply, address: '192.0.2.10', mac: PEER },
    { name: "another speaker's GARP (the successor's claim)", frame: gratuitousArp(OTHER_SPEAKER, addr('192.0.2.11')).request, address: '192.0.2.11', mac: OTHER_SPEAKER },
    {
      name: 'a unicast ARP reply from another MAC claiming an owned address',
      frame: arpRequest({ operation: 'reply', ethernetDestination: PEER2, senderIp: addr('192.0.2.10'), targetIp: addr('192.0.2.60') }),
      address: '192.0.2.10',
      mac: PEER,
    },
    {
      name: 'an ordinary request sent from an owned address',
      frame: arpRequest({ senderIp: addr('192.0.2.11'), targetIp: addr('192.0.2.1') }),
      address: '192.0.2.11',
      mac: PEER,
    },
    {
      name: 'a request from one owned address for another (never answered)',
      frame: arpRequest({ senderIp: addr('192.0.2.11'), targetIp: addr('192.0.2.10') }),
      address: '192.0.2.11',
      mac: PEER,
    },
  ])('reports $name', ({ frame, address, mac: claimant }) => {
    expect(decideArp(encodeArpFrame(frame), ctx)).toEqual({ kind: 'conflict', address: addr(address), mac: claimant });
  });
});

describe('decideArp ignores', () => {
  const enc = encodeArpFrame;
  it.each<{ name: string; bytes: Uint8Array; reason: string; words: string }>([
    { name: 'a runt frame', bytes: enc(arpRequest()).subarray(0, 30), reason: 'TooShort', words: '30 bytes' },
    { name: 'an IPv4 packet', bytes: Uint8Array.of(...enc(arpRequest()).subarray(0, 12), 0x08, 0x00, ...enc(arpRequest()).subarray(14)), reason: 'NotArp', words: '0x0800' },
    { name: 'a VLAN-tagged request for an owned address', bytes: enc(arpRequest({ vlan: { id: 100, priority: 0, dropEligible: false } })), reason: 'VlanTagged', words: 'VLAN tag 100' },
    { name: 'our own GARP reflected back', bytes: enc(gratuitousArp(OURS, addr('192.0.2.10')).request), reason: 'OwnFrame', words: OURS },
    { name: 'a request with our MAC as ARP sender only', bytes: enc(arpRequest({ senderMac: OURS, ethernetSource: PEER })), reason: 'OwnFrame', words: OURS },
    { name: 'a request from our Ethernet source only', bytes: enc(arpRequest({ ethernetSource: OURS })), reason: 'OwnFrame', words: OURS },
    { name: 'a request from sender MAC broadcast', bytes: enc(arpRequest({ senderMac: BROADCAST, ethernetSource: PEER })), reason: 'InvalidSenderMac', words: 'sender MAC ff:ff:ff:ff:ff:ff' },
    { name: 'a GARP claiming zero MAC', bytes: enc(arpRequest({ senderMac: ZERO, ethernetSource: PEER, senderIp: addr('192.0.2.10') })), reason: 'InvalidSenderMac', words: '00:00:00:00:00:00' },
    { name: 'a request from a multicast Ethernet source', bytes: enc(arpRequest({ ethernetSource: mac('01:00:5e:00:00:01') })), reason: 'InvalidSenderMac', words: 'Ethernet source 01:00:5e:00:00:01' },
    {
      name: 'a reply between two other hosts',
      bytes: enc(arpRequest({ operation: 'reply', senderIp: addr('192.0.2.60'), ethernetDestination: PEER2 })),
      reason: 'NotRequest',
      words: 'ARP reply',
    },
    { name: 'a request unicast to another MAC', bytes: enc(arpRequest({ ethernetDestination: OTHER_SPEAKER })), reason: 'NotForUs', words: OTHER_SPEAKER },
    { name: 'a request to a multicast MAC', bytes: enc(arpRequest({ ethernetDestination: mac('01:00:5e:00:00:01') })), reason: 'NotForUs', words: '01:00:5e:00:00:01' },
    { name: 'a request for an address we do not own', bytes: enc(arpRequest({ targetIp: addr('192.0.2.99') })), reason: 'NotOwner', words: '192.0.2.99' },
    { name: 'a foreign GARP for an address we do not own', bytes: enc(gratuitousArp(PEER, addr('198.51.100.7')).request), reason: 'NotOwner', words: '198.51.100.7' },
    { name: 'a probe for an address we do not own', bytes: enc(arpRequest({ senderIp: addr('0.0.0.0'), targetIp: addr('198.51.100.7') })), reason: 'NotOwner', words: '198.51.100.7' },
  ])('ignores $name as $reason', ({ bytes, reason, words }) => {
    const d = decideArp(bytes, ctx);
    expect(d).toMatchObject({ kind: 'ignore', reason });
    if (d.kind === 'ignore') expect(d.message).toContain(words);
  });

  it('throws when the interface MAC is not a MAC (a wiring bug, not bad input)', () => {
    expect(() => decideArp(encodeArpFrame(arpRequest()), { ...ctx, interfaceMac: '02:48:52:4c:00' as MacAddress })).toThrow(/interface MAC/);
  });
});
