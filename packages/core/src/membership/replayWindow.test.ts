import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replayWindow.js';

describe('ReplayWindow', () => {
  it.each([
    { name: 'in order', seqs: [1, 2, 3], accepted: [true, true, true] },
    { name: 'a duplicate', seqs: [1, 2, 2], accepted: [true, true, false] },
    { name: 'swapped on the wire', seqs: [1, 3, 2], accepted: [true, true, true] },
    { name: 'a late duplicate of a swapped one', seqs: [1, 3, 2, 2], accepted: [true, true, true, false] },
    { name: 'older than the window', seqs: [100, 100 - ReplayWindow.WIDTH], accepted: [true, false] },
    { name: 'just inside the window', seqs: [100, 100 - ReplayWindow.WIDTH + 1], accepted: [true, true] },
    { name: 'a big jump forgets nothing it must refuse', seqs: [5, 500, 5, 499], accepted: [true, true, false, true] },
  ])('accepts each sequence once: $name', ({ seqs, accepted }) => {
    const w = new ReplayWindow();
    expect(seqs.map((s) => w.accept(s))).toEqual(accepted);
  });
});
