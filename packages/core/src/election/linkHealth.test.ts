import { describe, expect, it } from 'vitest';
import { linkHealth, type LinkFacts } from './linkHealth.js';

const link = (over: Partial<LinkFacts> = {}): LinkFacts => ({
  name: 'eth0', index: 2, type: 'ETHER', up: true, carrier: true, enslaved: false, noArp: false, mac: '02:48:52:4c:00:01', subnets: ['192.0.2.11/24'], ...over,
});

describe('linkHealth', () => {
  it.each([
    ['an up Ethernet link with carrier', {}, 'Healthy'],
    ['loopback', { type: 'LOOPBACK' }, 'Loopback'],
    ['a tunnel', { type: 'NONE' }, 'NotEthernet'],
    ['administratively down', { up: false }, 'Down'],
    ['up without carrier (cable pulled, peer down)', { carrier: false }, 'NoCarrier'],
    ['a bridge or bond member', { enslaved: true }, 'Enslaved'],
    ['NOARP', { noArp: true }, 'NoArp'],
    ['an interface without addresses is still usable (VLANs without IPs)', { subnets: [] }, 'Healthy'],
  ] as const)('%s → %s', (_name, over, want) => {
    expect(linkHealth(link(over))).toBe(want);
  });
});
