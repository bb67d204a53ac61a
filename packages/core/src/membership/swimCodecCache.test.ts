import { describe, expect, it } from 'vitest';
import { decodeSwimMessage, encodeSwimMessage } from './swimCodec.js';
import { SwimCodecCache } from './swimCodecCache.js';
import type { NodeState, Notice, SwimMessage } from './swimMessage.js';

// As many IPv6 addresses as fit one datagram with room to spare (a State is trimmed to fit: fitNodeState).
const ips = Array.from({ length: 400 }, (_, i) => `2001:db8:7::${(0x1000 + i).toString(16)}`);

/** An announced list that counts how often its addresses are read. */
function counted(list: readonly string[]): { list: readonly string[]; reads: () => number } {
  let reads = 0;
  const proxy = new Proxy([...list], {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  return { list: proxy, reads: () => reads };
}

const stateOf = (announcing: readonly string[], version = 4): NodeState => ({
  node: 'n2', incarnation: 1_700_000_000_001, version, draining: false, ready: true,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24'], mac: '02:00:00:00:00:12' }], announcing, address: '192.0.2.12', port: 7947,
});
const env = { from: 'n2', incarnation: 1_700_000_000_001 };
/** What one State costs its sender: a heartbeat to each of 3 successors for 3 rounds, and a push to 3. */
const carriers = (notice: Notice): SwimMessage[] => [
  ...Array.from({ length: 9 }, (_, i): SwimMessage => ({ ...env, sequence: i + 1, type: 'Heartbeat', version: 4, notices: [notice] })),
  ...Array.from({ length: 3 }, (_, i): SwimMessage => ({ ...env, sequence: i + 10, type: 'Gossip', notices: [notice] })),
];

describe('SwimCodecCache', () => {
  it('a State is encoded once per State object, not once per datagram that carries it', () => {
    const once = counted(ips);
    encodeSwimMessage(carriers({ kind: 'State', state: stateOf(once.list) })[0]!, new SwimCodecCache());
    const twelve = counted(ips);
    const cache = new SwimCodecCache();
    const notice: Notice = { kind: 'State', state: stateOf(twelve.list) };
    for (const m of carriers(notice)) encodeSwimMessage(m, cache);
    // Without the cache every datagram read (and parsed) all 400 addresses again.
    expect(twelve.reads()).toBe(once.reads());
    expect(once.reads()).toBeGreaterThanOrEqual(ips.length);
  });

  it('writes the same bytes with and without the cache, Dead notices and other types included', () => {
    const cache = new SwimCodecCache();
    const state = stateOf(ips);
    const notices: Notice[] = [{ kind: 'State', state }, { kind: 'Dead', node: 'n3', incarnation: 5, version: 9, by: 'n1' }];
    const messages: SwimMessage[] = [
      { ...env, sequence: 1, type: 'Heartbeat', version: 4, notices },
      { ...env, sequence: 2, type: 'Gossip', notices },
      { ...env, sequence: 3, type: 'SyncReply', notices: [notices[1]!, notices[0]!] },
      { ...env, sequence: 4, type: 'Probe', id: 7, target: 'n3' },
    ];
    for (const m of [...messages, ...messages]) expect(encodeSwimMessage(m, cache)).toEqual(encodeSwimMessage(m));
  });

  it('still refuses a State that cannot be encoded, every time', () => {
    const cache = new SwimCodecCache();
    const m: SwimMessage = { ...env, sequence: 1, type: 'Gossip', notices: [{ kind: 'State', state: stateOf(['192.0.2.300']) }] };
    expect(() => encodeSwimMessage(m, cache)).toThrow(/announced address "192.0.2.300" is not an IP address/);
    expect(() => encodeSwimMessage(m, cache)).toThrow(/announced address "192.0.2.300" is not an IP address/);
  });

  it('a copy of a State already decoded comes back as the same object (no new strings); changed bytes are decoded anew', () => {
    const cache = new SwimCodecCache();
    const decode = (m: SwimMessage) => {
      const r = decodeSwimMessage(encodeSwimMessage(m), cache);
      if (!r.ok || (r.value.type !== 'Heartbeat' && r.value.type !== 'Gossip')) throw new Error('expected notices');
      return (r.value.notices[0] as Extract<Notice, { kind: 'State' }>).state;
    };
    const [first, second, push] = [carriers({ kind: 'State', state: stateOf(ips) })[0]!, carriers({ kind: 'State', state: stateOf(ips) })[1]!, carriers({ kind: 'State', state: stateOf(ips) })[9]!];
    const a = decode(first);
    expect(a).toEqual(stateOf(ips));
    expect(decode(second)).toBe(a);
    expect(decode(push)).toBe(a);
    // Same version, other bytes (never sent by an honest peer, but the cache must not hide it).
    const forged = decode({ ...env, sequence: 20, type: 'Gossip', notices: [{ kind: 'State', state: stateOf(ips.slice(1)) }] });
    expect(forged).toEqual(stateOf(ips.slice(1)));
    // A new version is a new State.
    const next = decode({ ...env, sequence: 21, type: 'Gossip', notices: [{ kind: 'State', state: stateOf(ips.slice(0, 10), 5) }] });
    expect(next).toEqual(stateOf(ips.slice(0, 10), 5));
  });

  it('a truncated copy of a State decoded before is still refused as Truncated', () => {
    const cache = new SwimCodecCache();
    const bytes = encodeSwimMessage(carriers({ kind: 'State', state: stateOf(ips) })[0]!);
    expect(decodeSwimMessage(bytes, cache).ok).toBe(true);
    const r = decodeSwimMessage(bytes.subarray(0, bytes.length - 3), cache);
    expect(r.ok ? undefined : r.error.reason).toBe('Truncated');
  });
});
