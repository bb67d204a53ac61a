import { ALL_NODES_MULTICAST, encodeMldFrame, encodeMldQueryMessage, parseAddressOrThrow, parseMac, type IPAddress } from '@herald/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSpeakerMetrics } from '../metrics.js';
import type { PacketSocket } from '../native/index.js';
import { MldReporter } from './mldReporter.js';

// A fake socket for the adapter's wiring only (source choice, query intake, metrics); the frames on a real
// link are proven in test/speaker/mld.test.ts.
const ip = parseAddressOrThrow;
const mac = (t: string) => {
  const r = parseMac(t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
const GROUP = ip('ff02::1:ff00:10');
const LL = ip('fe80::48:52ff:fe4c:1');
const sourceOf = (frame: Uint8Array) => Buffer.from(frame.subarray(22, 38)).toString('hex');
const typeOf = (frame: Uint8Array) => frame[14 + 40 + 8 + 8]; // the first record's type

describe('MldReporter', () => {
  let sent: Uint8Array[];
  let deliver: (frame: Buffer, type: number) => void;
  let linkLocal: IPAddress | undefined;
  let metrics: ReturnType<typeof createSpeakerMetrics>;
  let reporter: MldReporter;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    linkLocal = undefined;
    metrics = createSpeakerMetrics();
    const socket = {
      ifindex: 2,
      start: (onFrame: (frame: Buffer, type: number) => void) => void (deliver = onFrame),
      send: (f: Uint8Array) => sent.push(Uint8Array.from(f)),
      close: () => undefined,
    } as unknown as PacketSocket;
    reporter = new MldReporter({ socket, ifname: 'eth0', mac: mac('02:48:52:4c:00:01'), log: pino({ level: 'silent' }), metrics, sourceOf: () => linkLocal });
  });

  afterEach(() => {
    reporter.close();
    vi.useRealTimers();
  });

  const count = async (reason: string) => (await metrics.registry.getSingleMetric('herald_speaker_mld_reports_sent_total')!.get()).values.find((v) => v.labels.reason === reason)?.value ?? 0;

  it('reports from :: while the interface has no valid link-local address, then everything again from it (RFC 3590)', async () => {
    reporter.join(GROUP);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent.map(sourceOf)).toEqual(['0'.repeat(32)]);
    await vi.advanceTimersByTimeAsync(1_000); // the repeat, still from ::
    linkLocal = LL;
    await vi.advanceTimersByTimeAsync(1_000); // the source poll finds it
    await vi.advanceTimersByTimeAsync(1_000);
    const fromLL = sent.filter((f) => sourceOf(f) === 'fe80000000000000004852fffe4c0001');
    expect(fromLL.length).toBeGreaterThanOrEqual(1);
    expect(typeOf(fromLL[0]!)).toBe(4); // CHANGE_TO_EXCLUDE
    expect(await count('SourceReady')).toBeGreaterThanOrEqual(1);
  });

  it('answers a General Query received on the socket within its delay, and counts a frame it cannot read', async () => {
    linkLocal = LL;
    reporter.join(GROUP);
    await vi.advanceTimersByTimeAsync(2_000);
    sent = [];
    const query = encodeMldFrame({ ethernetSource: mac('02:aa:bb:cc:dd:01'), source: ip('fe80::aa:bbff:fecc:dd01'), destination: ALL_NODES_MULTICAST, icmp: encodeMldQueryMessage({ version: 2, maxResponseDelayMs: 1_000 }) });
    deliver(Buffer.from(query), 2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent.map(typeOf)).toEqual([2]); // MODE_IS_EXCLUDE
    expect(await count('GeneralQuery')).toBe(1);
    deliver(Buffer.from(query.subarray(0, 40)), 2);
    const ignored = (await metrics.registry.getSingleMetric('herald_speaker_frames_ignored_total')!.get()).values.find((v) => v.labels.reason === 'TooShort');
    expect(ignored?.value).toBe(1);
  });

  it('sends a pending leave once on close', async () => {
    linkLocal = LL;
    reporter.join(GROUP);
    await vi.advanceTimersByTimeAsync(2_000);
    sent = [];
    reporter.leave(GROUP);
    reporter.close();
    expect(sent.map(typeOf)).toEqual([3]); // CHANGE_TO_INCLUDE
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toHaveLength(1);
  });
});
