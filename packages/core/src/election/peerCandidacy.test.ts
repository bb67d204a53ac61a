import { describe, expect, it } from 'vitest';
import { peerCandidacy, type PeerCandidacyFacts } from './peerCandidacy.js';

const base: PeerCandidacyFacts = { alive: true, ready: true, answered: true, nowMs: 10_000, startupHoldMs: 10_000, claimEvidenceMs: 30_000 };

describe('peerCandidacy', () => {
  it.each([
    ['a live, ready peer is a candidate', {}, true, 'Ready'],
    ['a dead peer is not', { alive: false }, false, 'Dead'],
    ['a dead peer whose claim was seen recently is (one-way heartbeat loss)', { alive: false, claimSeenAtMs: 9_000 }, true, 'ClaimSeen'],
    ['a dead peer whose last claim is older than the evidence window is not', { alive: false, claimSeenAtMs: 10_000 - 30_000 }, false, 'Dead'],
    ['a starting peer does not take an address somebody answers (failback waits for readiness)', { ready: false, notReadySinceMs: 9_900 }, false, 'NotReady'],
    ['a starting peer keeps an unanswered address it will win (no double hand-over at cluster start)', { ready: false, notReadySinceMs: 9_900, answered: false }, true, 'Starting'],
    ['a peer starting for longer than the hold (API unreachable) takes nothing', { ready: false, notReadySinceMs: 0, answered: false }, false, 'NotReady'],
    ['a not-ready peer first seen at an unknown time takes nothing', { ready: false, answered: false }, false, 'NotReady'],
    ['a starting peer whose claim was seen is still judged by readiness while alive', { ready: false, notReadySinceMs: 9_900, claimSeenAtMs: 9_999 }, false, 'NotReady'],
  ] as const)('%s', (_name, over, candidate, reason) => {
    expect(peerCandidacy({ ...base, ...(over as Partial<PeerCandidacyFacts>) })).toEqual({ candidate, reason });
  });
});
