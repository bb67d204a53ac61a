import { AnswerTable, formatAddress, parseAddressOrThrow, type AnswerChange, type MacAddress, type StandbyAddress } from '@herald/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StandbyTakeover } from './standbyTakeover.js';

const ip = parseAddressOrThrow;
const ETH0 = { ifname: 'eth0', ifindex: 2, mac: '02:00:00:00:00:02' as MacAddress };
const ETH1 = { ifname: 'eth1', ifindex: 9, mac: '02:00:00:00:00:09' as MacAddress };
const A: StandbyAddress = { link: ETH0, address: ip('192.0.2.100') };
const B: StandbyAddress = { link: ETH0, address: ip('2001:db8::100') };
/** On a link the announcer has not opened: the takeover opens it. */
const OFF_LINK: StandbyAddress = { link: ETH1, address: ip('192.0.2.102') };
const at = (s: StandbyAddress) => ({ ifindex: s.link.ifindex, address: s.address });
const text = (s: StandbyAddress) => formatAddress(s.address);

/**
 * A takeover over a real AnswerTable with eth0 open and answering 192.0.2.1 (the announcer's), a plan for
 * peer n2; what it applies, announces and logs is recorded (the sockets are Answerer's, shown in takeoverAtDeath.e2e).
 */
function scene(o: { mayAnswer?: () => boolean } = {}) {
  const table = new AnswerTable();
  const applied: AnswerChange[] = [];
  const announced: string[] = [];
  const logged: { event: string; peer?: string; addresses: string[] }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) });
  const takeover = new StandbyTakeover({
    answers: {
      table,
      apply: (c) => {
        applied.push(c);
        table.apply(c);
      },
      announce: (ifindex, address) => void announced.push(`${ifindex} ${formatAddress(address)}`),
    },
    log,
    ...o,
    holdMs: 2_000,
    now: () => Date.now(),
  });
  /** The announcer's own changes, as Answerer.apply hands them on. */
  const announcer = (...cs: AnswerChange[]) => {
    for (const c of cs) {
      table.apply(c);
      takeover.announcerChanged(c);
    }
  };
  announcer({ op: 'open', link: ETH0 }, { op: 'add', ifindex: 2, address: ip('192.0.2.1') });
  takeover.setPlan(new Map([['n2', [A, B, OFF_LINK]]]));
  const events = (event: string) => logged.filter((l) => l.event === event);
  return { table, takeover, applied, announced, events, announcer };
}

describe('StandbyTakeover', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a peer\'s death: answers its planned addresses (opening a link), announces each one, logs standbyTakeover and returns them', () => {
    const { table, takeover, applied, announced, events } = scene();
    expect(takeover.takeOver('n2')).toEqual([at(A), at(B), at(OFF_LINK)]);
    expect(applied).toEqual([{ op: 'add', ...at(A) }, { op: 'add', ...at(B) }, { op: 'open', link: ETH1 }, { op: 'add', ...at(OFF_LINK) }]);
    expect([A, B, OFF_LINK].map((s) => table.owns(s.link.ifindex, s.address))).toEqual([true, true, true]);
    expect(announced).toEqual([`2 ${text(A)}`, `2 ${text(B)}`, `9 ${text(OFF_LINK)}`]);
    expect(events('standbyTakeover')).toMatchObject([{ peer: 'n2', addresses: [text(A), text(B), text(OFF_LINK)] }]);
  });

  it('a death with nothing planned: nothing applied, nothing logged', () => {
    const { takeover, applied, events } = scene();
    expect(takeover.takeOver('n3')).toEqual([]);
    expect(applied).toEqual([]);
    expect(events('standbyTakeover')).toEqual([]);
  });

  it('nothing while the main thread is wedged beyond its bound; the plan is still there once it turns', () => {
    let mayAnswer = false;
    const { takeover, applied, events } = scene({ mayAnswer: () => mayAnswer });
    expect(takeover.takeOver('n2')).toEqual([]);
    expect(applied).toEqual([]);
    expect(events('standbyTakeover')).toEqual([]);
    mayAnswer = true;
    expect(takeover.takeOver('n2')).toHaveLength(3);
  });

  it('the main thread\'s release: stops answering what is still provisional, closes the link opened for it, logs standbyReleased', () => {
    const { table, takeover, applied, events } = scene();
    takeover.takeOver('n2');
    applied.length = 0;
    takeover.release([at(OFF_LINK)]);
    expect(applied).toEqual([{ op: 'remove', ...at(OFF_LINK) }, { op: 'close', ifindex: 9 }]);
    expect(table.link(9)).toBeUndefined();
    expect(events('standbyReleased')).toMatchObject([{ addresses: [text(OFF_LINK)] }]);
    // Released already: a second release changes and logs nothing.
    takeover.release([at(OFF_LINK)]);
    expect(applied).toHaveLength(2);
    expect(events('standbyReleased')).toHaveLength(1);
  });

  it('the peer alive again: stops answering all taken over from it, logs standbyReverted with the peer', () => {
    const { table, takeover, events } = scene();
    takeover.takeOver('n2');
    takeover.peerAlive('n2');
    expect([A, B, OFF_LINK].map((s) => table.owns(s.link.ifindex, s.address))).toEqual([false, false, false]);
    expect(events('standbyReverted')).toMatchObject([{ peer: 'n2', addresses: [text(A), text(B), text(OFF_LINK)] }]);
    takeover.peerAlive('n3');
    expect(events('standbyReverted')).toHaveLength(1);
  });

  it('the hold: what the announcer did not confirm stops being answered after it, logged standbyExpired; what it confirmed stays', () => {
    const { table, takeover, announcer, events } = scene();
    takeover.takeOver('n2');
    announcer({ op: 'add', ...at(A) });
    vi.advanceTimersByTime(1_999);
    expect(events('standbyExpired')).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events('standbyExpired')).toMatchObject([{ addresses: [text(B), text(OFF_LINK)] }]);
    expect([A, B, OFF_LINK].map((s) => table.owns(s.link.ifindex, s.address))).toEqual([true, false, false]);
    expect(table.link(9)).toBeUndefined();
    // Nothing provisional is left: no timer is armed again.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close stops the hold timer', () => {
    const { takeover, events } = scene();
    takeover.takeOver('n2');
    expect(vi.getTimerCount()).toBe(1);
    takeover.close();
    vi.advanceTimersByTime(5_000);
    expect(events('standbyExpired')).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
