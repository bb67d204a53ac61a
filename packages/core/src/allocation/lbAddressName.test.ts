import { describe, expect, it } from 'vitest';
import { parseAddress } from '../ip/address.js';
import { lbAddressName } from './lbAddressName.js';

describe('lbAddressName', () => {
  it.each([
    ['192.0.2.10', '192.0.2.10'],
    ['2001:db8::10', '2001-db8--10'],
    ['2001:db8::', '2001-db8--0'],
    ['::ffff:192.0.2.1', '0--ffff-192.0.2.1'],
    ['2001:db8:0:1:2:3:4:5', '2001-db8-0-1-2-3-4-5'],
  ])('%s → %s (a valid DNS subdomain)', (text, name) => {
    const a = parseAddress(text);
    if (!a.ok) throw new Error(a.error.message);
    expect(lbAddressName(a.value)).toBe(name);
    expect(name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
  });
});
