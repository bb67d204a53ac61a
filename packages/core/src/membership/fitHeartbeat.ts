import { parseAddress } from '../ip/address.js';
import { parseMac } from '../wire/macAddress.js';
import { encodeHeartbeat, HEARTBEAT_LIMITS, HEARTBEAT_MAX_PAYLOAD, isInterfaceName, type Heartbeat, type HeartbeatInterface } from './heartbeat.js';
import { parseInterfaceCidr } from './interfaceCidr.js';

/** What had to be left out so that a heartbeat fits one datagram; all zero when nothing was. */
export interface HeartbeatTrimmed {
  /** Interfaces beyond the limit of 64, or with a name a heartbeat cannot carry. */
  readonly interfaces: number;
  /** Subnets beyond 32 on one interface, or that are not CIDR text. */
  readonly subnets: number;
  /** Announced addresses beyond what fits (the list only speeds up a hand-over; see DESIGN.md). */
  readonly announcing: number;
  /** MACs that are not six hex pairs (the interface is kept without one). */
  readonly macs: number;
}

export type HeartbeatTrimPart = keyof HeartbeatTrimmed;

/** The echo a sender adds per peer must still fit after trimming. */
const ECHO_BYTES = 20;

const addressBytesOnWire = (text: string): number => (text.includes(':') ? 17 : 5);

/**
 * Makes local state sendable instead of refusing it: the publish path of a speaker must never throw
 * (a node with hundreds of links, or thousands of addresses, would otherwise crash-loop). Keeps the
 * order it is given — the caller puts what matters most first (the heartbeat interface) — and says what
 * it left out so the adapter can log and count it. Identity, addresses and ports are not trimmed: a bad
 * one there is a configuration error, and `encodeHeartbeat` still throws for it.
 */
export function fitHeartbeat(h: Heartbeat): { heartbeat: Heartbeat; trimmed: HeartbeatTrimmed } {
  let interfaces = 0;
  let subnets = 0;
  let macs = 0;
  const kept: HeartbeatInterface[] = [];
  for (const i of h.interfaces) {
    if (kept.length >= HEARTBEAT_LIMITS.interfaces || !isInterfaceName(i.name)) {
      interfaces++;
      continue;
    }
    const valid = i.subnets.filter((s) => parseInterfaceCidr(s).ok);
    const within = valid.slice(0, HEARTBEAT_LIMITS.subnetsPerInterface);
    subnets += i.subnets.length - within.length;
    const macOk = i.mac !== undefined && parseMac(i.mac).ok;
    if (i.mac !== undefined && !macOk) macs++;
    kept.push({ name: i.name, subnets: within, ...(macOk ? { mac: i.mac as string } : {}) });
  }
  const { echo, ...bare } = h;
  const base = encodeHeartbeat({ ...bare, interfaces: kept, announcing: [] }).length + (echo ? 0 : ECHO_BYTES);
  let budget = HEARTBEAT_MAX_PAYLOAD - base;
  // Only what fits is parsed: a node answering thousands of addresses publishes a few dozen, and parsing
  // every one on each publish (once per event-loop turn during a hand-over) was most of its cost.
  const announcing: string[] = [];
  for (const a of h.announcing) {
    if (announcing.length >= HEARTBEAT_LIMITS.announcing) break;
    if (!parseAddress(a).ok) continue;
    const cost = addressBytesOnWire(a);
    if (cost > budget) break;
    budget -= cost;
    announcing.push(a);
  }
  return {
    heartbeat: { ...bare, interfaces: kept, announcing, ...(echo ? { echo } : {}) },
    trimmed: { interfaces, subnets, announcing: h.announcing.length - announcing.length, macs },
  };
}
