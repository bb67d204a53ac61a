import type { IPAddress } from '../ip/address.js';
import type { MacAddress } from './macAddress.js';
import type { WireReason } from './wireReason.js';

/** What a decision needs to know about the interface a frame arrived on. */
export interface WireContext {
  /** The MAC of that interface; replies carry it. */
  readonly interfaceMac: MacAddress;
  /** Whether this node currently announces `ip` on that interface. */
  owns(ip: IPAddress): boolean;
}

/** Another station claims an address we own; the speaker records it and re-checks ownership. */
export interface WireConflict {
  readonly kind: 'conflict';
  readonly address: IPAddress;
  readonly mac: MacAddress;
}

export interface WireIgnore {
  readonly kind: 'ignore';
  readonly reason: WireReason;
  readonly message: string;
}

export const ignoreFrame = (reason: WireReason, message: string): WireIgnore => ({ kind: 'ignore', reason, message });
