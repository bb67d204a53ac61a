import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { HeartbeatHealthReason } from '@herald/core';
import { heraldView } from './heraldView.js';
import { PLAIN } from './paint.js';
import { statusReport } from './statusReport.js';
import { statusText } from './statusText.js';
import { facts, NOW, type SpeakerFixture } from './testing/factsFixture.js';

const sha256 = (t: string) => createHash('sha256').update(t).digest();
const iso = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

/** The annotation a speaker writes, as JSON text (what core's heartbeatHealthReport + format produce). */
function health(reason: HeartbeatHealthReason, o: { silent?: string[]; broken?: string[]; writtenAgo?: number; incarnation?: number; known?: number } = {}): string {
  const silent = o.silent ?? [];
  const broken = o.broken ?? [];
  const known = o.known ?? 2;
  const heard = known - silent.length - broken.length;
  return JSON.stringify({
    v: 1, at: iso(o.writtenAgo ?? 5), incarnation: o.incarnation ?? 1, reason, message: `${reason} message`,
    peers: { known, alive: known - silent.length, heard, judgedByLease: broken.length, dead: silent.length },
    heartbeatsBroken: broken, silent, ...(heard ? { roundTrip: { samples: heard, medianMs: 0.2, maxMs: 0.4 } } : {}),
    lastHeartbeatAt: iso(o.writtenAgo ?? 5),
  });
}

const healthy = (extra: Partial<SpeakerFixture> = {}): SpeakerFixture => ({ ago: 1, health: health('Healthy'), ...extra });
const report = (speakers: Record<string, SpeakerFixture>) =>
  statusReport(heraldView(facts({ poolAddresses: ['192.0.2.100-192.0.2.102'], speakers }), { lbClass: undefined, nowMs: NOW, sha256 }), { nowMs: NOW });

describe('status: heartbeat health per speaker (exit 4 when broken or stale)', () => {
  it.each<{ name: string; speakers: Record<string, SpeakerFixture>; words: Record<string, string>; problems: string[] }>([
    { name: 'everyone healthy', speakers: { n1: healthy(), n2: healthy(), n3: healthy() }, words: { n1: 'Healthy', n2: 'Healthy', n3: 'Healthy' }, problems: [] },
    {
      name: 'n2 cut off: it hears nobody, nobody hears it',
      speakers: { n1: healthy({ health: health('SomePeersUnheard', { silent: ['n2'] }) }), n2: healthy({ health: health('NoHeartbeats', { silent: ['n1', 'n3'] }) }), n3: healthy({ health: health('SomePeersUnheard', { silent: ['n2'] }) }) },
      words: { n1: 'SomePeersUnheard', n2: 'NoHeartbeats', n3: 'SomePeersUnheard' },
      problems: ['speaker on n2: heartbeats NoHeartbeats: NoHeartbeats message; and it is not heard by n1, n3'],
    },
    {
      name: "n2's heartbeats never reach anyone (it hears them): NotHeardByPeers",
      speakers: { n1: healthy({ health: health('SomePeersUnheard', { broken: ['n2'] }) }), n2: healthy(), n3: healthy({ health: health('SomePeersUnheard', { broken: ['n2'] }) }) },
      words: { n1: 'SomePeersUnheard', n2: 'NotHeardByPeers', n3: 'SomePeersUnheard' },
      problems: ['speaker on n2 is not heard by n1, n3'],
    },
    {
      name: 'n1 never hears anyone (its inbound is blocked); peers hear it: only n1 is a problem',
      speakers: { n1: healthy({ health: health('HeartbeatsBroken', { broken: ['n2', 'n3'] }) }), n2: healthy(), n3: healthy() },
      words: { n1: 'HeartbeatsBroken', n2: 'Healthy', n3: 'Healthy' },
      problems: ['speaker on n1: heartbeats HeartbeatsBroken'],
    },
    {
      name: 'the silent peer is Dead (Lease expired): only the Dead speaker is a problem',
      speakers: { n1: healthy({ health: health('NoHeartbeats', { silent: ['n2'], known: 1 }) }), n2: healthy({ ago: 40 }) },
      words: { n1: 'NoHeartbeats', n2: 'Unknown', n3: 'Unknown' },
      problems: ['speaker on n2 is Dead'],
    },
    {
      name: 'an older speaker without the annotation: Unknown, no problem',
      speakers: { n1: healthy(), n2: { ago: 1 }, n3: healthy({ health: 'Healthy' }) },
      words: { n1: 'Healthy', n2: 'Unknown', n3: 'Unknown' },
      problems: [],
    },
    {
      name: 'a report from an earlier speaker process: Unknown, and it does not accuse anyone',
      speakers: { n1: healthy({ incarnation: 2, health: health('NoHeartbeats', { silent: ['n2', 'n3'], incarnation: 1 }) }), n2: healthy(), n3: healthy() },
      words: { n1: 'Unknown', n2: 'Healthy', n3: 'Healthy' },
      problems: [],
    },
    {
      name: 'a report not rewritten for 200 s though the Lease is renewed: Stale',
      speakers: { n1: healthy({ health: health('Healthy', { writtenAgo: 200 }) }), n2: healthy(), n3: healthy() },
      words: { n1: 'Stale', n2: 'Healthy', n3: 'Healthy' },
      problems: ['speaker on n1: heartbeat health is Stale: heartbeat health last written 200s ago'],
    },
    {
      name: 'a speaker still joining is fine',
      speakers: { n1: healthy({ health: health('Joining') }), n2: healthy(), n3: healthy() },
      words: { n1: 'Joining', n2: 'Healthy', n3: 'Healthy' },
      problems: [],
    },
  ])('$name', ({ speakers, words, problems }) => {
    const r = report(speakers);
    expect(Object.fromEntries(r.speakers.map((s) => [s.node, s.heartbeats.health]))).toEqual(words);
    expect(r.problems).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(r.problems[i]).toContain(p));
  });

  it('shows counts, round trip, last heartbeat and who does not hear whom; json carries the same', () => {
    const r = report({ n1: healthy({ health: health('SomePeersUnheard', { silent: ['n2'] }) }), n2: healthy({ health: health('NoHeartbeats', { silent: ['n1', 'n3'], writtenAgo: 3 }) }), n3: healthy() });
    const n2 = r.speakers.find((s) => s.node === 'n2')!.heartbeats;
    expect(n2).toMatchObject({ health: 'NoHeartbeats', peers: { known: 2, heard: 0, dead: 2 }, silent: ['n1', 'n3'], roundTrip: null, lastHeartbeatAgoSeconds: 3, notHeardBy: ['n1'] });
    expect(r.speakers.find((s) => s.node === 'n3')!.heartbeats.notHeardBy).toEqual([]);
    const text = statusText(r, PLAIN);
    expect(text).toMatch(/^HEARTBEATS/m);
    expect(text).toMatch(/^n1 +SomePeersUnheard +1\/2 +0\.2\/0\.4ms +arriving +- +SomePeersUnheard message$/m);
    expect(text).toMatch(/^n2 +NoHeartbeats +0\/2 +- +3s ago +n1 +NoHeartbeats message$/m);
    expect(text).toMatch(/^n3 +Healthy +2\/2 +0\.2\/0\.4ms +arriving +- *$/m);
  });
});
