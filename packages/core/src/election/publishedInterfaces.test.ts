import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERFACE_EXCLUDES, excludedBy, parseInterfacePatterns } from './interfaceExclude.js';
import type { LinkFacts } from './linkHealth.js';
import { publishedInterfaces } from './publishedInterfaces.js';

const link = (name: string, subnets: string[] = [], over: Partial<LinkFacts> = {}): LinkFacts => ({
  name, index: 1, type: 'ETHER', up: true, carrier: true, enslaved: false, noArp: false, mac: '02:00:00:00:00:01', subnets, ...over,
});

describe('excludedBy with the default patterns', () => {
  it.each([
    { name: 'cali1a2b3c4d5e6', want: 'cali*' },
    { name: 'lxc0123456789ab', want: 'lxc*' },
    { name: 'lxcbr0', want: 'lxcbr*' },
    { name: 'veth9f8e7d6', want: 'veth*' },
    { name: 'cni0', want: 'cni*' },
    { name: 'docker0', want: 'docker*' },
    { name: 'flannel.1', want: 'flannel*' },
    { name: 'cilium_host', want: 'cilium*' },
    { name: 'kube-ipvs0', want: 'kube-ipvs*' },
    { name: 'nodelocaldns', want: 'nodelocaldns' },
    { name: 'vxlan.calico', want: 'vxlan*' },
    { name: 'tunl0', want: 'tunl*' },
    { name: 'lo', want: 'lo' },
    { name: 'eth0', want: undefined },
    { name: 'eno1', want: undefined },
    { name: 'bond0.100', want: undefined },
    { name: 'eni1234abcd', want: undefined },
    { name: 'locali', want: undefined },
  ])('$name → $want', ({ name, want }) => {
    expect(excludedBy(name, DEFAULT_INTERFACE_EXCLUDES)).toBe(want);
  });

  it('treats everything but * and ? literally', () => {
    expect(excludedBy('flannelX1', ['flannel.1'])).toBeUndefined();
    expect(excludedBy('br-1', ['br-?'])).toBe('br-?');
    expect(excludedBy('a+b', ['a+b'])).toBe('a+b');
  });
});

describe('parseInterfacePatterns', () => {
  it.each([
    { name: 'comma list, spaces trimmed', text: 'cali*, veth* ,lo', want: ['cali*', 'veth*', 'lo'] },
    { name: 'empty: exclude nothing', text: '', want: [] },
  ])('$name', ({ text, want }) => expect(parseInterfacePatterns(text)).toEqual(want));

  it('names the bad entry', () => {
    expect(() => parseInterfacePatterns('cali*,a/b')).toThrow(/"a\/b"/);
    expect(() => parseInterfacePatterns('cali*,,veth*')).toThrow(/""/);
  });
});

describe('publishedInterfaces', () => {
  const eth0 = link('eth0', ['192.0.2.11/24', '2001:db8:1::b/64']);
  const base = { exclude: DEFAULT_INTERFACE_EXCLUDES, poolAddresses: ['192.0.2.200-192.0.2.220'], advertisedInterfaces: [], heartbeatAddress: '192.0.2.11' };
  it.each([
    { name: 'the heartbeat link is published even when no pool is on it', links: [eth0], o: { poolAddresses: [] }, want: ['eth0:HeartbeatInterface'] },
    { name: 'a link on a pool subnet (range inside it)', links: [link('eth1', ['198.51.100.5/24'])], o: { poolAddresses: ['198.51.100.200-198.51.100.210'] }, want: ['eth1:PoolSubnet'] },
    { name: 'a link on a pool subnet (IPv6 CIDR overlapping)', links: [link('eth1', ['2001:db8:1::b/64'])], o: { poolAddresses: ['2001:db8:1::/120'] }, want: ['eth1:PoolSubnet'] },
    { name: 'a link named by an L2Advertisement, without any address', links: [link('vlan100')], o: { advertisedInterfaces: ['vlan100'] }, want: ['vlan100:NamedByAdvertisement'] },
    { name: 'a pod veth with no address that matches no pattern is not published', links: [eth0, link('eni1234abcd')], o: {}, want: ['eth0:HeartbeatInterface'] },
    { name: 'an excluded link is never published, even on a pool subnet', links: [link('cali12345', ['192.0.2.99/24'])], o: {}, want: [] },
    { name: 'an excluded link named by an advertisement stays excluded', links: [link('veth0', [])], o: { advertisedInterfaces: ['veth0'] }, want: [] },
    { name: 'a link on another subnet than any pool is not published', links: [link('eth2', ['203.0.113.5/24'])], o: {}, want: [] },
    { name: 'an unhealthy link is not published', links: [link('eth1', ['192.0.2.12/24'], { carrier: false })], o: {}, want: [] },
    { name: 'a bad pool entry is skipped, not fatal', links: [link('eth1', ['198.51.100.5/24'])], o: { poolAddresses: ['nonsense', '198.51.100.0/24'] }, want: ['eth1:PoolSubnet'] },
    { name: 'heartbeat link first, then by name', links: [link('eth2', ['192.0.2.50/24']), link('eth1', ['192.0.2.40/24']), link('zz0', ['192.0.2.11/24'])], o: {}, want: ['zz0:HeartbeatInterface', 'eth1:PoolSubnet', 'eth2:PoolSubnet'] },
  ])('$name', ({ links, o, want }) => {
    expect(publishedInterfaces({ ...base, ...o, links }).map((p) => `${p.link.name}:${p.reason}`)).toEqual(want);
  });

  it('300 CNI-style veths beside eth0 publish eth0 alone', () => {
    const veths = Array.from({ length: 300 }, (_, i) => link(i % 2 ? `cali${i}` : `eni${i}`));
    expect(publishedInterfaces({ ...base, links: [eth0, ...veths] }).map((p) => p.link.name)).toEqual(['eth0']);
  });
});
