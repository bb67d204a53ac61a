import { describe, expect, it } from 'vitest';
import { readSpeakerLease, SPEAKER_LEASE_SELECTOR, speakerLeaseAnnotations, speakerLeaseName, type SpeakerLeaseObject } from './speakerLease.js';

const state = {
  heartbeatAddress: '192.0.2.11',
  heartbeatPort: 7947,
  incarnation: 1_732_000_000_123,
  draining: false,
  ready: true,
  interfaces: [{ name: 'eth0', subnets: ['192.0.2.11/24', '2001:db8:1::b/64'] }, { name: 'eth1', subnets: [] }],
};

const leaseOf = (node: string, annotations: Record<string, string>, spec: SpeakerLeaseObject['spec'] = { holderIdentity: node, leaseDurationSeconds: 30 }): SpeakerLeaseObject => ({
  metadata: { name: speakerLeaseName(node), annotations },
  spec,
});

describe('speaker Lease', () => {
  it('is named herald-speaker-<node> and selected by its labels', () => {
    expect(speakerLeaseName('worker-1')).toBe('herald-speaker-worker-1');
    expect(SPEAKER_LEASE_SELECTOR).toBe('app.kubernetes.io/component=speaker,app.kubernetes.io/part-of=herald');
  });

  it('annotations written by a speaker read back as the same facts', () => {
    const a = speakerLeaseAnnotations(state);
    expect(a).toEqual({
      'herald.dev/heartbeat-address': '192.0.2.11',
      'herald.dev/heartbeat-port': '7947',
      'herald.dev/incarnation': '1732000000123',
      'herald.dev/draining': 'false',
      'herald.dev/ready': 'true',
      'herald.dev/interfaces': 'eth0=192.0.2.11/24,2001:db8:1::b/64;eth1=',
    });
    expect(readSpeakerLease(leaseOf('n1', a))).toEqual({
      ok: true,
      value: { node: 'n1', durationMs: 30_000, heartbeatAddress: '192.0.2.11', heartbeatPort: 7947, incarnation: 1_732_000_000_123, draining: false, ready: true, interfaces: state.interfaces, warnings: [] },
    });
  });

  it('a starting speaker reads back not ready; a Lease without the annotation (older speaker) reads as ready', () => {
    const r = readSpeakerLease(leaseOf('n1', speakerLeaseAnnotations({ ...state, ready: false })));
    expect(r.ok && r.value.ready).toBe(false);
    const { 'herald.dev/ready': _gone, ...older } = speakerLeaseAnnotations({ ...state, ready: false });
    const o = readSpeakerLease(leaseOf('n1', older));
    expect(o.ok && o.value.ready).toBe(true);
  });

  it('a version-2 speaker publishes herald.dev/membership: v2; an older (or forced v1) one publishes nothing', () => {
    const a = speakerLeaseAnnotations({ ...state, membership: 'v2' });
    expect(a['herald.dev/membership']).toBe('v2');
    const r = readSpeakerLease(leaseOf('n1', a));
    expect(r.ok && r.value.membership).toBe('v2');
    const o = readSpeakerLease(leaseOf('n1', speakerLeaseAnnotations(state)));
    expect(o.ok && 'membership' in o.value).toBe(false);
  });

  it('a draining speaker with no interfaces round-trips too', () => {
    const r = readSpeakerLease(leaseOf('n1', speakerLeaseAnnotations({ ...state, draining: true, interfaces: [], heartbeatAddress: '2001:DB8:1::B' })));
    expect(r.ok && r.value).toMatchObject({ draining: true, interfaces: [], heartbeatAddress: '2001:db8:1::b' });
  });

  it.each<{ name: string; lease: SpeakerLeaseObject; reason: string }>([
    { name: 'another Lease in the namespace', lease: { metadata: { name: 'herald-controller' }, spec: { holderIdentity: 'x' } }, reason: 'NotSpeakerLease' },
    { name: 'a Lease without a holder', lease: leaseOf('n1', {}, { holderIdentity: null }), reason: 'NoHolder' },
    { name: 'a holder that is not a node name', lease: leaseOf('n1', {}, { holderIdentity: 'N1 ' }), reason: 'NoHolder' },
    { name: 'a holder other than the node in the name', lease: leaseOf('n1', {}, { holderIdentity: 'n2' }), reason: 'HolderMismatch' },
  ])('refuses $name ($reason)', ({ lease, reason }) => {
    const r = readSpeakerLease(lease);
    expect(r.ok ? 'ok' : r.error.reason).toBe(reason);
  });

  it.each<{ name: string; annotations: Record<string, string>; spec?: SpeakerLeaseObject['spec']; missing: string; words: string }>([
    { name: 'a heartbeat address that is a name', annotations: { 'herald.dev/heartbeat-address': 'node1' }, missing: 'heartbeatAddress', words: 'heartbeat-address "node1"' },
    { name: 'port 0', annotations: { 'herald.dev/heartbeat-port': '0' }, missing: 'heartbeatPort', words: 'heartbeat-port "0"' },
    { name: 'port 65536', annotations: { 'herald.dev/heartbeat-port': '65536' }, missing: 'heartbeatPort', words: '"65536"' },
    { name: 'an incarnation with letters', annotations: { 'herald.dev/incarnation': '12ab' }, missing: 'incarnation', words: 'incarnation "12ab"' },
    { name: 'an interface list with a bad subnet', annotations: { 'herald.dev/interfaces': 'eth0=192.0.2.0' }, missing: 'interfaces', words: 'no prefix length' },
    { name: 'an interface name with a slash', annotations: { 'herald.dev/interfaces': 'a/b=' }, missing: 'interfaces', words: '"a/b"' },
    { name: 'no lease duration', annotations: {}, spec: { holderIdentity: 'n1' }, missing: 'durationMs', words: 'leaseDurationSeconds' },
  ])('reads the rest of a Lease with $name, and warns', ({ annotations, spec, missing, words }) => {
    const r = readSpeakerLease(leaseOf('n1', annotations, spec));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).not.toHaveProperty(missing);
    expect(r.value.warnings.join('\n')).toContain(words);
  });
});
