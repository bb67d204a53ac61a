import { describe, expect, it } from 'vitest';
import { encodeSwimMessage, decodeSwimMessage, noticeBytes, envelopeBytes } from './swimCodec.js';
import { encodeHeartbeat } from './heartbeat.js';
import type { NodeState, Notice, SwimMessage } from './swimMessage.js';

const state: NodeState = {
  node: 'node-a.example',
  incarnation: 1_700_000_000_123,
  version: 7,
  draining: true,
  ready: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24', '2001:db8::/64'], mac: '02:00:00:00:00:0a' }, { name: 'eth1', subnets: [] }],
  announcing: ['192.0.2.10', '2001:db8::10'],
  address: '192.0.2.11',
  port: 7947,
};
const notices: Notice[] = [{ kind: 'State', state }, { kind: 'Dead', node: 'node-b', incarnation: 5, version: 9, by: 'node-c' }];
const env = { from: 'node-c', incarnation: 42, sequence: 9_007_199_254_740_991 };

describe('swim codec', () => {
  it.each<{ name: string; m: SwimMessage }>([
    { name: 'Heartbeat with notices', m: { ...env, type: 'Heartbeat', version: 3, notices } },
    { name: 'Heartbeat without notices', m: { ...env, type: 'Heartbeat', version: 1, notices: [] } },
    { name: 'Probe', m: { ...env, type: 'Probe', id: 0xffffffff, target: 'node-b' } },
    { name: 'ProbeRequest', m: { ...env, type: 'ProbeRequest', id: 12, target: 'node-b' } },
    { name: 'Ack', m: { ...env, type: 'Ack', id: 12, target: 'node-b', version: 4, agoMs: 120 } },
    { name: 'Gossip', m: { ...env, type: 'Gossip', notices } },
    { name: 'SyncRequest for everything', m: { ...env, type: 'SyncRequest', nodes: [] } },
    { name: 'SyncRequest for two nodes', m: { ...env, type: 'SyncRequest', nodes: ['node-a.example', 'node-b'] } },
    { name: 'SyncReply', m: { ...env, type: 'SyncReply', notices } },
    { name: 'Leave (the leaver itself)', m: { ...env, type: 'Leave', left: { node: 'node-c', incarnation: 42, version: 8 } } },
    { name: 'Leave (passed on)', m: { ...env, type: 'Leave', left: { node: 'node-a.example', incarnation: 1_700_000_000_123, version: 9_007_199_254_740_991 } } },
  ])('round-trips $name', ({ m }) => {
    const bytes = encodeSwimMessage(m);
    const back = decodeSwimMessage(bytes);
    expect(back).toEqual({ ok: true, value: m });
  });

  it('noticeBytes is exact, so senders split notices over datagrams correctly', () => {
    const m: SwimMessage = { ...env, type: 'Gossip', notices };
    const total = notices.reduce((s, n) => s + noticeBytes(n), 0);
    expect(encodeSwimMessage(m).length).toBe(envelopeBytes(env.from) - 8 + total);
  });

  it('a version-1 heartbeat is refused as UnsupportedVersion, and a version-1 reader refuses version 2 the same way', () => {
    const v1 = encodeHeartbeat({ node: 'n', incarnation: 1, sequence: 1, draining: false, interfaces: [], announcing: [], heartbeatAddress: '192.0.2.1', heartbeatPort: 7947 });
    const r = decodeSwimMessage(v1);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe('UnsupportedVersion');
  });

  it.each([
    { name: 'truncated', mutate: (b: Uint8Array) => b.subarray(0, b.length - 1), reason: 'Truncated' },
    { name: 'trailing byte', mutate: (b: Uint8Array) => Uint8Array.from([...b, 0]), reason: 'TrailingBytes' },
    { name: 'unknown type', mutate: (b: Uint8Array) => { const c = b.slice(); c[5] = 99; return c; }, reason: 'UnknownFlags' },
    { name: 'bad magic', mutate: (b: Uint8Array) => { const c = b.slice(); c[0] = 0; return c; }, reason: 'BadMagic' },
  ])('refuses a malformed datagram with a reason, never a throw: $name', ({ mutate, reason }) => {
    const bytes = encodeSwimMessage({ ...env, type: 'Gossip', notices });
    const r = decodeSwimMessage(mutate(bytes));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it('Leave is type byte 8, after every type an older decoder reads (which refuses it as UnknownFlags, like the unknown type above)', () => {
    const bytes = encodeSwimMessage({ ...env, type: 'Leave', left: { node: 'node-c', incarnation: 42, version: 8 } });
    expect(bytes[5]).toBe(8);
  });

  it('refuses to encode what no valid datagram has, naming the field', () => {
    expect(() => encodeSwimMessage({ ...env, type: 'Leave', left: { node: 'Bad_Name', incarnation: 1, version: 1 } })).toThrow(/leaving node "Bad_Name"/);
    expect(() => encodeSwimMessage({ ...env, from: 'Not_A_Name', type: 'Probe', id: 1, target: 'x' })).toThrow(/sender "Not_A_Name"/);
    expect(() => encodeSwimMessage({ ...env, type: 'Gossip', notices: [{ kind: 'State', state: { ...state, address: 'nope' } }] })).toThrow(/address "nope"/);
  });
});
