import { describe, expect, it } from 'vitest';
import { sameNodeFacts, type NodeFacts } from './nodeFacts.js';

const base: NodeFacts = {
  name: 'n1', labels: { 'kubernetes.io/os': 'linux', zone: 'z1' }, networkUnavailable: false, member: true, draining: false,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] }], primaryInterface: 'eth0',
};

describe('sameNodeFacts', () => {
  it.each([
    ['a copy', { ...base, labels: { ...base.labels }, interfaces: base.interfaces.map((i) => ({ ...i, subnets: [...i.subnets] })) }, true],
    ['labels in another order', { ...base, labels: { zone: 'z1', 'kubernetes.io/os': 'linux' } }, true],
    ['another name', { ...base, name: 'n2' }, false],
    ['a label value changed', { ...base, labels: { ...base.labels, zone: 'z2' } }, false],
    ['a label added', { ...base, labels: { ...base.labels, extra: '' } }, false],
    ['a label swapped for another with the same count', { ...base, labels: { 'kubernetes.io/os': 'linux', region: 'z1' } }, false],
    ['NetworkUnavailable', { ...base, networkUnavailable: true }, false],
    ['not a member', { ...base, member: false }, false],
    ['draining', { ...base, draining: true }, false],
    ['no primary interface', { ...base, primaryInterface: undefined }, false],
    ['an interface renamed', { ...base, interfaces: [{ ...base.interfaces[0]!, name: 'eth1' }] }, false],
    ['a subnet gone', { ...base, interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24'] }] }, false],
    ['an interface added', { ...base, interfaces: [...base.interfaces, { name: 'eth1', subnets: [] }] }, false],
  ] as const)('%s: %s', (_name, other, same) => {
    expect(sameNodeFacts(base, other as NodeFacts)).toBe(same);
    expect(sameNodeFacts(other as NodeFacts, base)).toBe(same);
  });
});
