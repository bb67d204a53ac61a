import { addressFromBytes, familyBits, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { heartbeatError, type HeartbeatDecodeReason, type HeartbeatError } from './heartbeatReason.js';

/** Thrown inside a decoder only, caught by `readPayload`: the decoders themselves never throw. */
class Refusal {
  constructor(readonly error: HeartbeatError<HeartbeatDecodeReason>) {}
}

export const refuse = (reason: HeartbeatDecodeReason, message: string): never => {
  throw new Refusal(heartbeatError(reason, message));
};

/** Runs `read` over a membership payload (heartbeat v1 or v2), turning the first refusal into an error value. */
export function readPayload<T>(payload: Uint8Array, read: (r: PayloadReader) => T): Result<T, HeartbeatError<HeartbeatDecodeReason>> {
  try {
    return ok(read(new PayloadReader(payload)));
  } catch (e) {
    if (e instanceof Refusal) return err(e.error);
    throw e;
  }
}

/** Big-endian reads that name the field they read, so a truncated datagram says which field ran out. */
export class PayloadReader {
  private o = 0;
  private readonly view: DataView;
  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  get offset(): number {
    return this.o;
  }
  get remaining(): number {
    return this.b.length - this.o;
  }
  private need(n: number, what: string): void {
    if (this.o + n > this.b.length) refuse('Truncated', `payload ends at byte ${this.b.length}; ${what} needs bytes ${this.o}..${this.o + n - 1}`);
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.o++]!;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.o);
    this.o += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.o);
    this.o += 4;
    return v;
  }
  u53(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.o);
    this.o += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) refuse('NumberOutOfRange', `${what} ${v} is larger than 2^53-1`);
    return Number(v);
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  /** The bytes from the offset on begin with `expected` (nothing is consumed). */
  startsWith(expected: Uint8Array): boolean {
    if (this.o + expected.length > this.b.length) return false;
    for (let i = 0; i < expected.length; i++) if (this.b[this.o + i] !== expected[i]) return false;
    return true;
  }
  /** A copy (not a view of the datagram's buffer) of bytes `from`..`to` already read. */
  copy(from: number, to: number): Uint8Array {
    return this.b.slice(from, to);
  }
  ascii(n: number, what: string): string {
    return String.fromCharCode(...this.bytes(n, what));
  }
  /** A family byte (4 or 6) followed by the address bytes. */
  address(what: string): IPAddress {
    const family = this.u8(`${what} family`);
    if (family !== 4 && family !== 6) refuse('BadAddress', `${what} has address family ${family}, not 4 or 6`);
    return addressFromBytes(this.bytes(familyBits(family as 4 | 6) / 8, what));
  }
}
