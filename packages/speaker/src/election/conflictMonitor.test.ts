import { parseAddressOrThrow, type MacAddress } from '@herald/core';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LBAddressWriter } from '../kube/lbAddressWriter.js';
import { createSpeakerMetrics } from '../metrics.js';
import { ConflictMonitor } from './conflictMonitor.js';

const ip = parseAddressOrThrow;
const mac = (i: number) => `02:f1:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}` as MacAddress;

/** A ConflictMonitor on a fake clock, recording what it would do (the narrow fakes: writer and announcer). */
function setup(owned: (address: string) => boolean = () => true, reannounceCostMs = 0) {
  let now = 0;
  const events: string[] = [];
  const reannounced: string[] = [];
  let rechecks = 0;
  const metrics = createSpeakerMetrics(new Registry());
  const monitor = new ConflictMonitor({
    log: pino({ level: 'silent' }),
    metrics,
    writer: { lbAddressEvent: (_name: string, _uid: unknown, _type: string, _reason: string, message: string) => events.push(message) } as unknown as LBAddressWriter,
    announcer: {
      isAnnouncing: () => true,
      reannounce: (a) => {
        now += reannounceCostMs;
        reannounced.push(a.value.toString());
      },
    },
    heraldMacs: () => new Set(['02:aa:00:00:00:01']),
    uid: () => undefined,
    recheck: () => rechecks++,
    stillOwned: (a) => owned(a.value.toString()),
    now: () => now,
  });
  const advance = (ms: number) => {
    now += ms;
    if (vi.isFakeTimers()) vi.advanceTimersByTime(ms);
  };
  return { monitor, events, reannounced, metrics, rechecks: () => rechecks, advance };
}

describe('ConflictMonitor', () => {
  it('10,000 claims from 10,000 MACs within 10 s: all counted, one Event, one re-announcement per second, one memory entry', async () => {
    const t = setup();
    for (let i = 0; i < 10_000; i++) {
      t.monitor.onClaim({ address: ip('192.0.2.10'), mac: mac(i), interface: 'eth0' });
      t.advance(1);
    }
    expect((await t.metrics.conflicts.get()).values.find((v) => v.labels.source === 'foreign')?.value).toBe(10_000);
    expect(t.events).toHaveLength(1);
    expect(t.events[0]).toContain('not a herald node');
    expect(t.reannounced).toHaveLength(10);
    expect(t.rechecks()).toBe(10);
    expect(t.monitor.size()).toBe(1);
    t.advance(60_000);
    t.monitor.onClaim({ address: ip('192.0.2.10'), mac: mac(1), interface: 'eth0' });
    expect(t.events[1]).toContain('(9999 more claims since the last event)');
  });

  it('rate limits are per address: a claim on another address is reported at once', () => {
    const t = setup();
    t.monitor.onClaim({ address: ip('192.0.2.10'), mac: mac(1), interface: 'eth0' });
    t.monitor.onClaim({ address: ip('192.0.2.11'), mac: mac(1), interface: 'eth0' });
    expect(t.events).toHaveLength(2);
    expect(t.monitor.size()).toBe(2);
  });

  it('a known herald MAC is reported as another herald node', () => {
    const t = setup();
    t.monitor.onClaim({ address: ip('192.0.2.10'), mac: '02:aa:00:00:00:01' as MacAddress, interface: 'eth0' });
    expect(t.events[0]).toContain('another herald node');
  });

  it('forgets an address when its LBAddress is deleted', () => {
    const t = setup();
    t.monitor.onClaim({ address: ip('192.0.2.10'), mac: mac(1), interface: 'eth0' });
    t.monitor.forget('192.0.2.10');
    expect(t.monitor.size()).toBe(0);
  });
});

describe('ConflictMonitor: claims from live herald peers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a live peer claiming 1,000 addresses (a node joining) waits out the grace: then only the addresses this node still owns are conflicts', async () => {
    vi.useFakeTimers();
    const addresses = Array.from({ length: 1_000 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
    // This node's election reaches the join meanwhile and hands over all but the last ten.
    const stillOwned = new Set(addresses.slice(-10).map((a) => ip(a).value.toString()));
    const t = setup((a) => stillOwned.has(a));
    for (const a of addresses) t.monitor.onClaim({ address: ip(a), mac: '02:aa:00:00:00:01' as MacAddress, interface: 'eth0' }, true);
    for (const a of addresses) t.monitor.onClaim({ address: ip(a), mac: '02:aa:00:00:00:01' as MacAddress, interface: 'eth0' }, true);
    // Before: each claim was a conflict at once (1,000 log lines, re-announcements and Events).
    expect(t.reannounced).toEqual([]);
    expect(t.events).toEqual([]);
    expect(t.rechecks()).toBe(1_000);
    const herald = async () => (await t.metrics.conflicts.get()).values.find((v) => v.labels.source === 'herald' && v.labels.family === 'IPv6')?.value;
    expect(await herald()).toBe(0);
    t.advance(1_999);
    expect(t.reannounced).toEqual([]);
    t.advance(1);
    expect(t.reannounced.sort()).toEqual([...stillOwned].sort());
    expect(t.events).toHaveLength(10);
    expect(await herald()).toBe(10);
    expect(t.events[0]).toContain('another herald node');
    expect(t.monitor.waitingClaims()).toBe(0);
    t.monitor.stop();
  });

  it('claims whose grace ends together are worked off at most 10 ms per turn', async () => {
    vi.useFakeTimers();
    // Each conflict costs 1 ms (its re-announcement): 100 ending together take 10 turns of 10.
    const t = setup(() => true, 1);
    for (let i = 0; i < 100; i++) t.monitor.onClaim({ address: ip(`2001:db8::${(i + 1).toString(16)}`), mac: '02:aa:00:00:00:01' as MacAddress, interface: 'eth0' }, true);
    t.advance(2_000);
    const perTurn: number[] = [t.reannounced.length];
    for (let turns = 0; t.monitor.waitingClaims() > 0 && turns < 1_000; turns++) {
      const before = t.reannounced.length;
      vi.advanceTimersToNextTimer();
      perTurn.push(t.reannounced.length - before);
    }
    expect(t.reannounced).toHaveLength(100);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(11);
    expect(perTurn.length).toBeGreaterThanOrEqual(9);
    t.monitor.stop();
  });

  it('a herald node this node holds dead is a conflict at once (it must see this node claim back)', () => {
    const t = setup();
    t.monitor.onClaim({ address: ip('192.0.2.10'), mac: '02:aa:00:00:00:01' as MacAddress, interface: 'eth0' }, false);
    expect(t.reannounced).toHaveLength(1);
    expect(t.events[0]).toContain('another herald node');
  });
});
