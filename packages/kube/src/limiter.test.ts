import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.js';

/** A job that runs until released, recording when it started. */
function gate(started: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  return { job: () => (started.push(name), done), release: () => release() };
}

describe('Limiter', () => {
  it('runs at most `limit` jobs at once and starts queued urgent jobs before earlier normal ones', async () => {
    const limiter = new Limiter(1);
    const started: string[] = [];
    const first = gate(started, 'first');
    const running = limiter.run(first.job);
    const normal = limiter.run(async () => void started.push('normal'));
    const urgent = limiter.run(async () => void started.push('urgent'), { urgent: true });
    await Promise.resolve();
    expect(started).toEqual(['first']);
    first.release();
    await Promise.all([running, normal, urgent]);
    expect(started).toEqual(['first', 'urgent', 'normal']);
  });

  it('idle() waits for queued jobs of both kinds', async () => {
    const limiter = new Limiter(1);
    const started: string[] = [];
    const first = gate(started, 'first');
    void limiter.run(first.job);
    void limiter.run(async () => void started.push('normal'));
    let idle = false;
    const waiting = limiter.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    first.release();
    await waiting;
    expect(started).toEqual(['first', 'normal']);
    expect(limiter.settled).toBe(2);
  });
});
