import { parseAddressOrThrow, type MacAddress } from '@herald/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createSpeakerMetrics } from '../metrics.js';
import { AnswerPort } from './answerPort.js';
import type { ToAnswerer } from './answerThreadProtocol.js';

const ip = parseAddressOrThrow;
const link = { ifname: 'eth0', ifindex: 2, mac: '02:00:00:00:00:01' as MacAddress };

function port() {
  const sent: ToAnswerer[] = [];
  const claims: string[] = [];
  const metrics = createSpeakerMetrics();
  const p = new AnswerPort({ post: (m) => sent.push(m), metrics, log: pino({ level: 'silent' }), onClaim: (c) => claims.push(c.mac) });
  return { p, sent, claims, metrics };
}

describe('AnswerPort', () => {
  it('sends the changes of one turn as one batch, in order, and announces only once that batch is applied', async () => {
    const { p, sent } = port();
    const announced: string[] = [];
    p.open(link);
    p.add(2, ip('192.0.2.1'));
    p.whenApplied(() => announced.push('192.0.2.1'));
    p.add(2, ip('2001:db8::1'));
    p.whenApplied(() => announced.push('2001:db8::1'));
    await Promise.resolve();
    expect(sent).toEqual([{ type: 'changes', batch: 1, changes: [{ op: 'open', link }, { op: 'add', ifindex: 2, address: ip('192.0.2.1') }, { op: 'add', ifindex: 2, address: ip('2001:db8::1') }] }]);
    expect(announced).toEqual([]);
    p.receive({ type: 'applied', batch: 1 });
    expect(announced).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('a later batch waits for its own acknowledgement; once everything sent is applied, a caller goes on at once', async () => {
    const { p } = port();
    const order: string[] = [];
    p.add(2, ip('192.0.2.1'));
    p.whenApplied(() => order.push('first'));
    p.flush();
    p.add(2, ip('192.0.2.2'));
    p.whenApplied(() => order.push('second'));
    p.flush();
    p.receive({ type: 'applied', batch: 1 });
    expect(order).toEqual(['first']);
    p.receive({ type: 'applied', batch: 2 });
    expect(order).toEqual(['first', 'second']);
    p.whenApplied(() => order.push('nothing pending'));
    expect(order).toEqual(['first', 'second', 'nothing pending']);
  });

  it('claims reach onClaim and the answering side counts reach the speaker metrics', async () => {
    const { p, claims, metrics } = port();
    p.receive({ type: 'claim', address: ip('192.0.2.1'), mac: '02:00:00:00:00:09' as MacAddress, interface: 'eth0' });
    p.receive({ type: 'counts', counts: [['requestsReceived', 'IPv4', 3], ['repliesSent', 'IPv4', 2], ['ignored', 'MainLoopStalled', 1], ['sendErrors', 'ENOBUFS', 1]] });
    expect(claims).toEqual(['02:00:00:00:00:09']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^herald_speaker_requests_received_total\{family="IPv4"\} 3$/m);
    expect(text).toMatch(/^herald_speaker_replies_sent_total\{family="IPv4"\} 2$/m);
    expect(text).toMatch(/^herald_speaker_frames_ignored_total\{reason="MainLoopStalled"\} 1$/m);
    expect(text).toMatch(/^herald_speaker_send_errors_total\{code="ENOBUFS"\} 1$/m);
  });

  it('stop() flushes what is queued, then asks the answering side to close and resolves on its answer', async () => {
    const { p, sent } = port();
    p.close(2);
    const stopped = p.stop(5_000);
    expect(sent).toEqual([{ type: 'changes', batch: 1, changes: [{ op: 'close', ifindex: 2 }] }, { type: 'close' }]);
    p.receive({ type: 'closed' });
    await stopped;
  });
});
