import { describe, expect, it } from 'vitest';
import { parseAddress, type IPAddress } from '../ip/address.js';
import { encodeArpFrame, type ArpFrame } from './arpFrame.js';
import { arpReply } from './arpReply.js';
import { parseMac, type MacAddress } from './macAddress.js';

const mac = (t: string): MacAddress => {
  const r = parseMac(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const addr = (t: string): IPAddress => {
  const r = parseAddress(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

const OURS = mac('02:48:52:4c:00:01');
const PEER = mac('02:aa:bb:cc:dd:01');
const request: ArpFrame = {
  ethernetDestination: mac('ff:ff:ff:ff:ff:ff'),
  ethernetSource: PEER,
  operation: 'request',
  senderMac: PEER,
  senderIp: addr('192.0.2.50'),
  targetMac: mac('00:00:00:00:00:00'),
  targetIp: addr('192.0.2.10'),
};

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
