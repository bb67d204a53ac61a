import { describe, expect, it } from 'vitest';
import { ignoreFrame } from './wireDecision.js';

describe('ignoreFrame', () => {
  it('carries the reason for metrics and the message for logs', () => {
    expect(ignoreFrame('NotOwner', 'ARP request asks for 192.0.2.99')).toEqual({
      kind: 'ignore',
      reason: 'NotOwner',
      message: 'ARP request asks for 192.0.2.99',
    });
  });
});
