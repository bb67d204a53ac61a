// Shared fixtures for the wire tests (`../*.test.ts`): named addresses and MACs, frame builders, a seeded
// PRNG and the fuzz driver. Test-only: nothing outside the tests imports it and `src/index.ts` does not
// export it. It holds plain functions and data (no vitest), so the assertions stay in the test files.
import { parseAddress, type IPAddress } from '../../ip/address.js';
import type { ArpFrame } from '../arpFrame.js';
import { parseMac, type MacAddress } from '../macAddress.js';
import { encodeNeighborAdvertisement, encodeNeighborSolicitation, type NeighborAdvertisementOptions } from '../ndpMessage.js';
import type { WireConflict, WireContext, WireIgnore } from '../wireDecision.js';
import { WIRE_REASONS, type WireReason } from '../wireReason.js';

// ---- Parsing: a fixture that does not parse is a bug in the test, so throw ----

export const mac = (text: string): MacAddress => {
  const r = parseMac(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

export const addr = (text: string): IPAddress => {
  const r = parseAddress(text);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};

/** Bytes from hex pairs; white space between them is ignored. */
export const hex = (text: string): Uint8Array => Uint8Array.from(text.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

export const toHex = (bytes: Uint8Array): string => Array.from(bytes, (x) => x.toString(16).padStart(2, '0')).join('');

// ---- Who is who on the test link ----

/** The speaker's own interface MAC. */
export const OURS = mac('02:48:52:4c:00:01');
/** Another herald speaker on the same link. */
export const OTHER_SPEAKER = mac('02:48:52:4c:00:02');
/** A host asking for (or claiming) addresses. */
export const PEER = mac('02:aa:bb:cc:dd:01');
export const PEER2 = mac('02:aa:bb:cc:dd:02');
export const BROADCAST = mac('ff:ff:ff:ff:ff:ff');
export const ZERO = mac('00:00:00:00:00:00');

/** The owned IPv4 address most tests ask for, and the requester that asks. */
export const VIP_V4 = addr('192.0.2.10');
export const REQUESTER_V4 = addr('192.0.2.50');
/** The owned IPv6 address most tests ask for, and its solicited-node group. */
export const VIP_V6 = addr('2001:db8::10');
export const VIP_V6_SNM = addr('ff02::1:ff00:10');
/** Link-local addresses: ours (derived from OURS) and the peer's (derived from PEER). */
export const OUR_LL = addr('fe80::48:52ff:fe4c:1');
export const PEER_LL = addr('fe80::aa:bbff:fecc:dd01');
export const ALL_NODES = addr('ff02::1');
export const UNSPECIFIED_V6 = addr('::');

export const sameAddress = (a: IPAddress, b: IPAddress): boolean => a.family === b.family && a.value === b.value;

/** The solicited-node group of `ip`, computed here rather than by the code under test. */
export const snm = (ip: IPAddress): IPAddress => ({ family: 6, value: (0xff02n << 112n) | (1n << 32n) | (0xffn << 24n) | (ip.value & 0xffffffn) });

/** The interface the decisions run on: our MAC, owning exactly `owned`. */
export function wireContext(owned: readonly IPAddress[]): WireContext {
  return { interfaceMac: OURS, owns: (ip) => owned.some((o) => sameAddress(o, ip)) };
}

// ---- Frames and messages ----

/**
 * PEER (at REQUESTER_V4) broadcasting "who has VIP_V4?". The Ethernet source follows `over.senderMac`
 * unless `over` sets it too.
 */
export const arpRequest = (over: Partial<ArpFrame> = {}): ArpFrame => ({
  ethernetDestination: BROADCAST,
  ethernetSource: over.senderMac ?? PEER,
  operation: 'request',
  senderMac: PEER,
  senderIp: REQUESTER_V4,
  targetMac: ZERO,
  targetIp: VIP_V4,
  ...over,
});

/** A Neighbor Solicitation for `target`, with a source link-layer option only when `sourceMac` is given. */
export const neighborSolicitation = (target: IPAddress, sourceMac?: MacAddress): Uint8Array =>
  encodeNeighborSolicitation(sourceMac === undefined ? { target } : { target, sourceMac });

/** An unsolicited, overriding Neighbor Advertisement of VIP_V6 at our MAC, unless `over` says otherwise. */
export const neighborAdvertisement = (over: Partial<NeighborAdvertisementOptions> = {}): Uint8Array =>
  encodeNeighborAdvertisement({ target: VIP_V6, targetMac: OURS, solicited: false, override: true, ...over });

/** A copy of `bytes` with `values` written from `at`. */
export const withBytes = (bytes: Uint8Array, at: number, ...values: number[]): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy.set(values, at);
  return copy;
};

export const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

// ---- Fuzzing ----

// core forbids Math.random; a seeded xorshift32 makes every run replay the same inputs, so a failure
// printed by a fuzz test (seed, index, hex) reproduces exactly.
export function xorshift32(seed: number) {
  let s = seed >>> 0 || 1;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  const int = (n: number): number => next() % n;
  const bytes = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = next() & 0xff;
    return b;
  };
  return { int, bytes, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number): boolean => next() / 0x1_0000_0000 < p };
}
export type Rng = ReturnType<typeof xorshift32>;

/** One change to a fuzz input: returns the changed bytes, which may be `b` itself, changed in place. */
export type Mutation = (rng: Rng, b: Uint8Array) => Uint8Array;

/** Flips one to eight random bits. */
export const flipBits: Mutation = (rng, b) => {
  for (let k = 1 + rng.int(8); k > 0 && b.length > 0; k--) b[rng.int(b.length)]! ^= 1 << rng.int(8);
  return b;
};

/** Overwrites one random byte. */
export const randomByte: Mutation = (rng, b) => {
  if (b.length > 0) b[rng.int(b.length)] = rng.int(256);
  return b;
};

/** A copy of `seed` changed by one to three mutations, each drawn from `mutations` with equal odds. */
export function mutateWith(rng: Rng, seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const steps = 1 + rng.int(3);
  for (let s = 0; s < steps; s++) b = mutations[rng.int(mutations.length)]!(rng, b);
  return b;
}

/** The decisions a fuzz run tallies: a reply of some kind, a conflict, or an ignore with its reason. */
export type FuzzedDecision = { readonly kind: 'reply' } | WireConflict | WireIgnore;

export interface FuzzCase<I, D extends FuzzedDecision> {
  /** Builds the next input from the generator. */
  readonly make: (rng: Rng) => I;
  readonly decide: (input: I) => D;
  /** What is wrong with a reply or conflict for this input, or undefined. Ignores need only a known reason. */
  readonly violation: (input: I, decision: Exclude<D, WireIgnore>) => string | undefined;
  /** The input as a failure message shows it. */
  readonly show: (input: I) => string;
}

export interface FuzzTally {
  readonly kinds: { reply: number; conflict: number; ignore: number };
  readonly reasons: Set<WireReason>;
  /** At most five; the run stops at the fifth. */
  readonly failures: string[];
}

/** Feeds `count` inputs from a generator seeded with `seed` to the decision, checking every answer. */
export function fuzz<I, D extends FuzzedDecision>(seed: number, count: number, c: FuzzCase<I, D>): FuzzTally {
  const rng = xorshift32(seed);
  const kinds = { reply: 0, conflict: 0, ignore: 0 };
  const reasons = new Set<WireReason>();
  const failures: string[] = [];
  for (let i = 0; i < count && failures.length < 5; i++) {
    const input = c.make(rng);
    let d: D;
    try {
      d = c.decide(input);
    } catch (e) {
      failures.push(`#${i} threw ${String(e)} for ${c.show(input)}`);
      continue;
    }
    kinds[d.kind]++;
    let v: string | undefined;
    if (d.kind === 'ignore') {
      reasons.add(d.reason);
      v = (WIRE_REASONS as readonly string[]).includes(d.reason) ? undefined : `unknown reason ${d.reason}`;
    } else {
      v = c.violation(input, d as Exclude<D, WireIgnore>);
    }
    if (v !== undefined) failures.push(`#${i} ${v}: ${c.show(input)}`);
  }
  return { kinds, reasons, failures };
}
