// Turnaround at the node's interface from a capture there (tcpdump -r -nn -e lines): each ARP request or
// neighbour solicitation for a target, to the next ARP reply / neighbour advertisement for that target.
// Requests never answered are counted; gratuitous ARP and unsolicited NAs are not replies. Used by wholeSpeaker.ts to split the client's round trip into the
// node's own part (request in → reply out) and the rest (client, veths, bridge).
import { summarize } from './stats.js';

const TIME = /^(\d\d):(\d\d):(\d\d)\.(\d{6}) /;
const patterns: { kind: 'arp' | 'ndp'; request: boolean; re: RegExp }[] = [
  { kind: 'arp', request: true, re: /Request who-has (\S+) tell/ },
  { kind: 'arp', request: false, re: /Reply (\S+) is-at/ },
  { kind: 'ndp', request: true, re: /neighbor solicitation, who has (\S+),/ },
  { kind: 'ndp', request: false, re: /neighbor advertisement, tgt is (\S+),/ },
];

export function interfaceTurnaround(lines: readonly string[]): Record<'arp' | 'ndp', { requests: number; unanswered: number; turnaroundUs: ReturnType<typeof summarize> }> {
  const waiting = new Map<string, number>();
  const out = { arp: { requests: 0, unanswered: 0, us: [] as number[] }, ndp: { requests: 0, unanswered: 0, us: [] as number[] } };
  for (const line of lines) {
    const t = TIME.exec(line);
    if (!t) continue;
    const us = ((Number(t[1]) * 60 + Number(t[2])) * 60 + Number(t[3])) * 1e6 + Number(t[4]);
    for (const p of patterns) {
      const m = p.re.exec(line);
      if (!m) continue;
      const k = `${p.kind} ${m[1]}`;
      // Gratuitous ARP and unsolicited NAs (to broadcast / 33:33:00:00:00:01) answer no request.
      const destination = / > ([0-9a-f:]{17}),/.exec(line)?.[1] ?? '';
      if (!p.request && (destination === 'ff:ff:ff:ff:ff:ff' || destination.startsWith('33:33:'))) break;
      if (p.request) {
        out[p.kind].requests++;
        // A request still waiting when the next comes for the same target was never answered.
        if (waiting.has(k)) out[p.kind].unanswered++;
        waiting.set(k, us);
      } else {
        const at = waiting.get(k);
        if (at === undefined) continue;
        waiting.delete(k);
        out[p.kind].us.push(us - at);
      }
      break;
    }
  }
  for (const k of waiting.keys()) out[k.startsWith('arp') ? 'arp' : 'ndp'].unanswered++;
  return {
    arp: { requests: out.arp.requests, unanswered: out.arp.unanswered, turnaroundUs: summarize(out.arp.us, 0) },
    ndp: { requests: out.ndp.requests, unanswered: out.ndp.unanswered, turnaroundUs: summarize(out.ndp.us, 0) },
  };
}
