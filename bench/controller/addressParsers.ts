// herald's own address parser (core/ip/address.ts) against the `ip-address` package, for ADR 0006:
// 1. the bad-input corpus: which inputs each one refuses (herald must refuse all of them);
// 2. canonical text (RFC 5952) for the valid corpus;
// 3. parse + format speed on the allocator benchmark's address mix (v4 pools, v6 /112s and a /64).
// Run: node --import tsx bench/controller/addressParsers.ts [--count N]
import { parseArgs } from 'node:util';
import { Address4, Address6 } from 'ip-address';
import { formatAddress, parseAddress, type IPAddress } from '@herald/core';
import { round } from './stats.js';
import { progress, writeReport } from './report.js';

const log = progress('addressParsers');
const { values: args } = parseArgs({ options: { count: { type: 'string', default: '200000' } } });
const COUNT = Number(args.count);

/** Inputs a pool, an annotation or spec.loadBalancerIP may carry that must be refused (core's test table plus more). */
const BAD = [
  '', ' 192.0.2.1', '192.0.2.1 ', '2001:db8::1\n', '\t192.0.2.1', 'fe80::1%eth0', '2001:db8::1%25eth0', '192.0.2.01', '010.0.0.1', '::ffff:192.0.2.01',
  '192.0.2', '192.0.2.1.5', '192.0.2.256', '192.0.2.-1', 'hello', '127.1', '0x7f.0.0.1', '1e2.0.0.1', '192.0.2.1.',
  '2001:db8::1::1', '2001:db8:0:0:0:0:0:0:1', '2001:db8:0:0:0:0:1', '1:2:3:4:5:6:7:8::', '2001:db8::12345', '2001:db8::g', ':1::', '1.2.3.4::',
  '192.0.2.1/24', '192.0.2.1/32', '2001:db8::1/64', '2001:db8::/128', '[2001:db8::1]', '１９２.０.２.１', '192.0.2.1\u0000',
];
/** Valid inputs and their RFC 5952 / dotted-quad canonical text. */
const GOOD: [string, string][] = [
  ['192.0.2.1', '192.0.2.1'], ['0.0.0.0', '0.0.0.0'], ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['2001:0db8::0001', '2001:db8::1'],
  ['::', '::'], ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], ['2001:db8:1:1:1:1:1:0', '2001:db8:1:1:1:1:1:0'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], ['2001:db8::', '2001:db8::'],
];

const ipAddressParse = (text: string): Address4 | Address6 => (text.includes(':') ? new Address6(text) : new Address4(text));
const accepts = (f: () => unknown): boolean => {
  try {
    f();
    return true;
  } catch {
    return false;
  }
};

const heraldAccepted = BAD.filter((t) => parseAddress(t).ok);
const ipAddressAccepted = BAD.filter((t) => accepts(() => ipAddressParse(t)));
const canonical = (text: string, want: string) => {
  const h = parseAddress(text);
  const herald = h.ok ? formatAddress(h.value) : '(refused)';
  let other: string;
  try {
    const a = ipAddressParse(text);
    other = a instanceof Address6 ? a.correctForm() : a.correctForm();
  } catch {
    other = '(refused)';
  }
  return { input: text, want, herald, ipAddress: other };
};
const texts = GOOD.map(([t, w]) => canonical(t, w));

// ---- speed: the allocator benchmark's address mix --------------------------------------------
const sample: IPAddress[] = [];
for (let i = 0; i < COUNT; i++) {
  const kind = i % 10;
  if (kind < 1) sample.push({ family: 4, value: 0xc0000200n + BigInt(i % 256) });
  else if (kind < 6) sample.push({ family: 6, value: (0x20010db8_0001n << 80n) + BigInt(i % 65536) });
  else sample.push({ family: 6, value: (0x20010db8_0064_0000n << 64n) + BigInt(i) * 0x1_0000_0001n });
}
const textSample = sample.map(formatAddress);

function time(label: string, f: () => void, reps = 5): number {
  const runs: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint();
    f();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] as number;
  log(`${label}: ${round(median, 1)} ms for ${COUNT}`);
  return median;
}

let sink = 0;
const heraldParse = time('herald parse', () => {
  for (const t of textSample) if (parseAddress(t).ok) sink++;
});
const heraldFormat = time('herald format', () => {
  for (const a of sample) sink += formatAddress(a).length;
});
const otherParse = time('ip-address parse', () => {
  for (const t of textSample) sink += Number((t.includes(':') ? new Address6(t) : new Address4(t)).bigInt() & 1n);
});
const otherFormat = time('ip-address format', () => {
  for (const a of sample) sink += (a.family === 4 ? Address4.fromBigInt(a.value).correctForm() : Address6.fromBigInt(a.value).correctForm()).length;
});
if (sink < 0) log('unreachable');

const perOp = (ms: number) => round((ms * 1000) / COUNT, 3);
writeReport('addressParsers', {
  corpus: {
    bad: BAD.length,
    refusedByHerald: BAD.length - heraldAccepted.length,
    acceptedByHerald: heraldAccepted,
    refusedByIpAddress: BAD.length - ipAddressAccepted.length,
    acceptedByIpAddress: ipAddressAccepted,
  },
  canonicalText: {
    heraldMismatches: texts.filter((t) => t.herald !== t.want),
    ipAddressMismatches: texts.filter((t) => t.ipAddress !== t.want),
  },
  speed: {
    addresses: COUNT,
    microsecondsPerAddress: {
      heraldParse: perOp(heraldParse),
      heraldFormat: perOp(heraldFormat),
      ipAddressParse: perOp(otherParse),
      ipAddressFormat: perOp(otherFormat),
    },
  },
});
