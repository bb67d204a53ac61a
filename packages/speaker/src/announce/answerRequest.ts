import { addressBytes, decideArp, decideNdpFrame, type IPAddress, type MacAddress, type WireContext } from '@herald/core';
import { PacketType, type Icmp6Socket, type PacketSocket } from '../native/index.js';
import type { AnswerCount, AnswerIgnoreReason } from './answerThreadProtocol.js';

/**
 * Where the outcome of one received request goes: the main thread's registry and log (InterfaceResponder),
 * or the answering thread's batched reports (Answerer). The receive path itself is the same for both.
 */
export interface AnswerOutcomes {
  count(c: AnswerCount): void;
  sendFailed(e: Error & { code?: string }, address: IPAddress): void;
  claim(address: IPAddress, mac: MacAddress): void;
  /** False: decided to answer but must not (the answering thread's main loop is wedged, peers take over). */
  mayAnswer?(): boolean;
}

type Decision = { kind: 'reply'; address: IPAddress } | { kind: 'conflict'; address: IPAddress; mac: MacAddress } | { kind: 'ignore'; reason: AnswerIgnoreReason };

/** Answers one ARP frame through `socket`, the ARP socket it came in on. */
export function answerArp(frame: Buffer, type: PacketType, context: WireContext, socket: PacketSocket | undefined, out: AnswerOutcomes): void {
  // A frame for another host (e.g. a VLAN this node has no interface for) is never ours to answer.
  if (type === PacketType.otherHost) return out.count(['ignored', 'OtherHost', 1]);
  const d = decideArp(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), context);
  act(d, 'IPv4', out, () => d.kind === 'reply' && socket?.send(d.frame));
}

/** Answers one neighbour solicitation frame; the advertisement goes out through the send-only `icmp6`. */
export function answerNdp(frame: Buffer, type: PacketType, context: WireContext, icmp6: Icmp6Socket | undefined, out: AnswerOutcomes): void {
  // Only seen with the interface in promiscuous mode (a capture): a unicast frame for another station.
  if (type === PacketType.otherHost) return out.count(['ignored', 'OtherHost', 1]);
  const d = decideNdpFrame(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), context);
  act(d, 'IPv6', out, () => d.kind === 'reply' && icmp6?.send(d.payload, addressBytes(d.to)));
}

/** The same three outcomes for ARP and NDP: send the reply, report a claim, or count why not. */
function act(d: Decision, family: 'IPv4' | 'IPv6', out: AnswerOutcomes, send: () => void): void {
  if (d.kind === 'reply') {
    out.count(['requestsReceived', family, 1]);
    if (out.mayAnswer && !out.mayAnswer()) return out.count(['ignored', 'MainLoopStalled', 1]);
    try {
      send();
      out.count(['repliesSent', family, 1]);
    } catch (e) {
      out.sendFailed(e as Error & { code?: string }, d.address);
    }
  } else if (d.kind === 'conflict') {
    out.claim(d.address, d.mac);
  } else {
    out.count(['ignored', d.reason, 1]);
  }
}
