import { describe, expect, it } from 'vitest';
import { readSpeakerConfig } from './config.js';

const base = ['--node-name', 'n1'];

describe('the speaker metrics address (never every host interface unless asked)', () => {
  it.each([
    { name: 'the pod IP from the Pod spec', env: { POD_IP: '192.0.2.5' }, args: [], expected: '192.0.2.5:7472' },
    { name: 'an IPv6 pod IP (split at the last ":")', env: { POD_IP: '2001:db8::5' }, args: [], expected: '2001:db8::5:7472' },
    { name: 'loopback without a pod IP', env: {}, args: [], expected: '127.0.0.1:7472' },
    { name: 'loopback when POD_IP is empty', env: { POD_IP: '' }, args: [], expected: '127.0.0.1:7472' },
    { name: 'the flag over the pod IP', env: { POD_IP: '192.0.2.5' }, args: ['--metrics-address', '127.0.0.1:9000'], expected: '127.0.0.1:9000' },
    { name: 'every interface only when asked for', env: { POD_IP: '192.0.2.5' }, args: ['--metrics-address', ':7472'], expected: ':7472' },
  ])('$name', ({ env, args, expected }) => {
    const config = readSpeakerConfig([...base, ...args], env);
    expect(config === 'help' ? config : config.metricsAddress).toBe(expected);
  });

  it.each([
    { name: 'no port', address: '192.0.2.5' },
    { name: 'a port that is not a number', address: '192.0.2.5:metrics' },
    { name: 'port 0', address: ':0' },
    { name: 'a port above 65535', address: '127.0.0.1:70000' },
  ])('refuses $name, naming the flag', ({ address }) => {
    expect(() => readSpeakerConfig([...base, '--metrics-address', address], {})).toThrow(`--metrics-address must be HOST:PORT (e.g. 127.0.0.1:7472, or :7472 for every interface), not "${address}"`);
  });
});
