// Child of bench/speaker/hotPathFlags.ts, run under the V8 flags being compared: the speaker's per-packet
// and per-heartbeat work from @herald/core's built code (decideArp on an ARP request for an owned address
// among 1,000; encodeHeartbeat + HMAC-SHA256 + decodeHeartbeat of a 7-address heartbeat). Warms up, then
// times ROUNDS batches and prints one JSON line: µs per operation, median and p99 over the batches.
import { createHmac } from 'node:crypto';
import { decideArp, decodeHeartbeat, encodeArpFrame, encodeHeartbeat, formatAddress, parseAddress } from '../../packages/core/dist/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const BATCH = 500;
const key = Buffer.alloc(32, 7);
const owned = new Set();
for (let i = 0; i < 1000; i++) owned.add(`198.51.${100 + (i >> 8)}.${i & 255}`);
const ip = (t) => { const r = parseAddress(t); if (!r.ok) throw new Error(t); return r.value; };
const ctx = { interfaceMac: '02:00:00:00:00:01', owns: (a) => owned.has(formatAddress(a)) };
const request = encodeArpFrame({ ethernetDestination: 'ff:ff:ff:ff:ff:ff', ethernetSource: '02:00:00:00:00:99', operation: 'request', senderMac: '02:00:00:00:00:99', senderIp: ip('192.0.2.9'), targetMac: '00:00:00:00:00:00', targetIp: ip('198.51.101.200') });
const heartbeat = (seq) => ({ node: 'node-a', incarnation: 1_700_000_000_000, sequence: seq, draining: false, interfaces: [{ name: 'eth0', subnets: ['192.0.2.0/24', '2001:db8:1::/64'], mac: '02:00:00:00:00:01' }], announcing: ['192.0.2.230', '192.0.2.231', '192.0.2.232', '192.0.2.233', '192.0.2.234', '2001:db8:1::230', '2001:db8:1::231'], heartbeatAddress: '192.0.2.1', heartbeatPort: 7947, echo: { incarnation: 1_700_000_000_001, sequence: seq, holdMs: 3 } });

const ops = {
  arp: () => { if (decideArp(request, ctx).kind !== 'reply') throw new Error('no reply'); },
  heartbeat: (i) => {
    const payload = encodeHeartbeat(heartbeat(i));
    createHmac('sha256', key).update(payload).digest();
    if (!decodeHeartbeat(payload).ok) throw new Error('decode');
  },
};
const out = {};
for (const [name, op] of Object.entries(ops)) {
  for (let i = 0; i < 20 * BATCH; i++) op(i);
  const perOp = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) op(i);
    perOp.push(Number(process.hrtime.bigint() - t0) / 1000 / BATCH);
  }
  perOp.sort((a, b) => a - b);
  out[name] = { p50Us: +perOp[Math.floor(perOp.length / 2)].toFixed(3), p99Us: +perOp[Math.ceil(perOp.length * 0.99) - 1].toFixed(3) };
}
process.stdout.write(`${JSON.stringify(out)}\n`);
