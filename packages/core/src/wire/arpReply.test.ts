import { describe, expect, it } from 'vitest';
import { encodeArpFrame, type ArpFrame } from './arpFrame.js';
import { arpReply } from './arpReply.js';
import type { MacAddress } from './macAddress.js';
import { addr, arpRequest, hex, mac, OURS, PEER } from './testing/fixtures.js';

const request: ArpFrame = arpRequest();

describe('arpReply', () => {
  it('matches hand-built golden bytes: unicast to the requester, roles swapped', () => {
    expect(encodeArpFrame(arpReply(request, OURS))).toEqual(
      hex(
        '02aabbccdd01 0248524c0001 0806' + // to the requester, from us
          '0001 0800 06 04 0002' + // reply
          '0248524c0001 c000020a' + // 192.0.2.10 is at our MAC
          '02aabbccdd01 c0000232' + // to 192.0.2.50 at its MAC
          '000000000000000000000000000000000000',
      ),
    );
  });

  it.each([
    {
      name: 'goes to the ARP sender MAC even when a bridge rewrote the Ethernet source',
      req: { ...request, ethernetSource: mac('02:aa:bb:cc:dd:99') },
      to: PEER,
      targetIp: '192.0.2.50',
    },
    { name: 'answers a DAD probe with target IP 0.0.0.0', req: { ...request, senderIp: addr('0.0.0.0') }, to: PEER, targetIp: '0.0.0.0' },
  ])('$name', ({ req, to, targetIp }) => {
    const reply = arpReply(req, OURS);
    expect(reply.ethernetDestination).toBe(to);
    expect(reply.targetMac).toBe(to);
    expect(reply.targetIp).toEqual(addr(targetIp));
    expect(reply.senderMac).toBe(OURS);
    expect(reply.senderIp).toEqual(req.targetIp);
  });

  it.each([
    { name: 'a reply', req: { ...request, operation: 'reply' as const }, m: OURS, words: /answers requests/ },
    { name: 'a five-byte MAC', req: request, m: '02:48:52:4c:00' as MacAddress, words: /"02:48:52:4c:00"/ },
  ])('throws for $name', ({ req, m, words }) => {
    expect(() => arpReply(req, m)).toThrow(words);
  });
});
