import { describe, expect, it } from 'vitest';
import { lineDiff } from './lineDiff.js';

describe('lineDiff()', () => {
  it.each([
    { name: 'equal text has no +/- lines', a: 'x\ny\n', b: 'x\ny\n', out: ['  x', '  y'] },
    { name: 'a changed line is - then +', a: 'a\nb\nc\n', b: 'a\nB\nc\n', out: ['  a', '- b', '+ B', '  c'] },
    { name: 'an added line', a: 'a\n', b: 'a\nb\n', out: ['  a', '+ b'] },
    { name: 'from nothing', a: '', b: 'a\n', out: ['+ a'] },
  ])('$name', ({ a, b, out }) => expect(lineDiff(a, b)).toEqual(out));
});
