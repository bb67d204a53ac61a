import type { NodeState } from './swimMessage.js';

/** Nodes whose last decoded State is remembered; more (a cluster this large) forgets the oldest. */
const MAX_DECODED = 8_192;

/**
 * What one speaker's codec remembers between datagrams, so that a State notice — whose announced list can
 * hold thousands of addresses — is turned into bytes once per version, and back into strings once per
 * version, instead of once per datagram that carries it. A State rides a heartbeat to each of 3 ring
 * successors for 3 rounds and a push to 3 members, and every receiver passes it on the same way: during a
 * hand-over of 750 addresses that re-encoding and re-decoding was nearly all the garbage the speaker made
 * (a major collection on a starved host outlasts the 550 ms a monitor waits: ADR 0012).
 *
 * Safe because a NodeState is never changed once made (a change is a new object with a new version), and
 * a decoded State is reused only when the datagram's bytes equal those it was decoded from.
 */
export class SwimCodecCache {
  private readonly encoded = new WeakMap<NodeState, Uint8Array>();
  private readonly decoded = new Map<string, { readonly incarnation: number; readonly version: number; readonly body: Uint8Array; readonly state: NodeState }>();

  /** The notice bytes this State was encoded to before, if any. */
  encodedState(state: NodeState): Uint8Array | undefined {
    return this.encoded.get(state);
  }

  rememberEncoded(state: NodeState, bytes: Uint8Array): void {
    this.encoded.set(state, bytes);
  }

  /**
   * The State last decoded for (node, incarnation, version), with the bytes that followed its version
   * field: a datagram whose next bytes equal them carries the same State.
   */
  decodedState(node: string, incarnation: number, version: number): { readonly body: Uint8Array; readonly state: NodeState } | undefined {
    const d = this.decoded.get(node);
    return d && d.incarnation === incarnation && d.version === version ? d : undefined;
  }

  rememberDecoded(state: NodeState, body: Uint8Array): void {
    this.decoded.delete(state.node);
    this.decoded.set(state.node, { incarnation: state.incarnation, version: state.version, body, state });
    if (this.decoded.size > MAX_DECODED) this.decoded.delete(this.decoded.keys().next().value!);
  }
}
