import { describe, expect, it } from 'vitest';
import { ANSI, choosePaint, PLAIN } from './inspect/paint.js';
import { ANSI_SGR, table } from './table.js';

describe('table', () => {
  it.each([
    { name: 'plain', cell: 'Ready' },
    { name: 'coloured cells keep the columns aligned', cell: ANSI.ok('Ready') },
  ])('$name', ({ cell }) => {
    const lines = table(['NODE', 'STATE', 'X'], [['n1', cell, '1'], ['node-22', 'Dead', '2']]).map((l) => l.replace(ANSI_SGR, ''));
    expect(lines).toEqual(['NODE     STATE  X', 'n1       Ready  1', 'node-22  Dead   2']);
  });
});

describe('choosePaint: colour only on a terminal', () => {
  it.each([
    { name: 'TTY', o: { noColor: false, isTTY: true, env: {} }, paint: ANSI },
    { name: '--no-color', o: { noColor: true, isTTY: true, env: {} }, paint: PLAIN },
    { name: 'NO_COLOR', o: { noColor: false, isTTY: true, env: { NO_COLOR: '1' } }, paint: PLAIN },
    { name: 'pipe', o: { noColor: false, isTTY: false, env: {} }, paint: PLAIN },
  ])('$name', ({ o, paint }) => expect(choosePaint(o)).toBe(paint));
});
