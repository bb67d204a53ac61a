// The herald CRDs (charts/herald/crds) against the real kube-apiserver: what they accept, what their CEL rules
// refuse and with which message, defaults, printer columns and the status subresource.
import * as k8s from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAddress, type IPAddress } from '../../packages/core/src/ip/address.js';
import { parseRange } from '../../packages/core/src/ip/range.js';
import { applyCrds, crdFiles } from '../cluster/crds.js';
import { adminKubeConfig, kubectl, mergePatch } from '../cluster/kube.js';

const GROUP = 'herald.dev';
const VERSION = 'v1beta1';
const KINDS = { ipaddresspools: 'IPAddressPool', l2advertisements: 'L2Advertisement', lbaddresses: 'LBAddress' } as const;
type Plural = keyof typeof KINDS;

interface Cause {
  reason?: string;
  message?: string;
  field?: string;
}
type Outcome = { ok: true; object: { metadata: { name: string; generation?: number }; spec?: unknown; status?: unknown } } | { ok: false; code: number; message: string; causes: Cause[] };

/** The apiserver's "some validation rules were not checked" note that follows a schema error; not a rule's own message. */
const isSkipNote = (c: Cause) => c.message?.includes('some validation rules were not checked') ?? false;

let custom: k8s.CustomObjectsApi;

function refusal(e: unknown): Outcome {
  if (!(e instanceof k8s.ApiException)) throw e;
  const status = (typeof e.body === 'string' ? JSON.parse(e.body) : e.body) as { message?: string; details?: { causes?: Cause[] } };
  return { ok: false, code: e.code, message: status.message ?? '', causes: status.details?.causes ?? [] };
}

/** Creates a herald object (server-side dry run unless told otherwise) and reports what the apiserver said. */
async function create(plural: Plural, name: string, fields: Record<string, unknown>, options: { dryRun?: boolean; strict?: boolean } = {}): Promise<Outcome> {
  const body = { apiVersion: `${GROUP}/${VERSION}`, kind: KINDS[plural], metadata: { name }, ...fields };
  try {
    const object = await custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural,
      body,
      ...(options.dryRun === false ? {} : { dryRun: 'All' }),
      ...(options.strict ? { fieldValidation: 'Strict' } : {}),
    });
    return { ok: true, object };
  } catch (e) {
    return refusal(e);
  }
}

function expectAccepted(outcome: Outcome): Extract<Outcome, { ok: true }> {
  if (!outcome.ok) expect.fail(`refused (${outcome.code}): ${outcome.message}`);
  return outcome;
}

/** The object was refused with one cause, on `field`, whose message contains `message`. */
function expectRefused(outcome: Outcome, field: string, message: string): void {
  if (outcome.ok) expect.fail(`accepted, but should be refused on ${field}: ${JSON.stringify(outcome.object.spec)}`);
  expect(outcome.code).toBe(422);
  const causes = outcome.causes.filter((c) => !isSkipNote(c));
  expect(causes, outcome.message).toHaveLength(1);
  expect(causes[0]!.field).toBe(field);
  expect(causes[0]!.message).toContain(message);
  // What kubectl prints is the Status message: it names the field and carries the rule's text.
  expect(outcome.message).toContain(`${field}: `);
  expect(outcome.message).toContain(message);
}

const pool = (spec: Record<string, unknown>) => ({ spec });
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

beforeAll(async () => {
  custom = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
  await applyCrds();
});

describe('applyCrds()', () => {
  it('is idempotent and leaves all three CRDs Established, cluster-scoped, with a status subresource', async () => {
    await applyCrds();
    const r = await kubectl(['get', 'crd', '-o', 'json', 'ipaddresspools.herald.dev', 'l2advertisements.herald.dev', 'lbaddresses.herald.dev']);
    expect(r.code, r.stderr).toBe(0);
    const crds = (JSON.parse(r.stdout) as { items: k8s.V1CustomResourceDefinition[] }).items;
    expect(crds.map((c) => c.metadata?.name).sort()).toEqual(['ipaddresspools.herald.dev', 'l2advertisements.herald.dev', 'lbaddresses.herald.dev']);
    for (const crd of crds) {
      expect(crd.spec.scope).toBe('Cluster');
      expect(crd.spec.names.categories).toEqual(['herald']);
      expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources?.status !== undefined])).toEqual([['v1beta1', true, true, true]]);
      expect(crd.status?.conditions?.find((c) => c.type === 'Established')?.status).toBe('True');
    }
  });
});

describe('IPAddressPool accepts good pools and fills in the defaults', () => {
  it.each([
    { row: 'an IPv4 CIDR', spec: { addresses: ['192.0.2.0/28'] } },
    { row: 'single addresses, bare and as /32 and /128', spec: { addresses: ['192.0.2.7', '198.51.100.7/32', '2001:db8::7/128', '2001:db8::8'] } },
    { row: 'ranges of both families in one pool', spec: { addresses: ['192.0.2.10-192.0.2.20', '2001:db8::10-2001:db8::20'] } },
    { row: 'a range of one address', spec: { addresses: ['192.0.2.5-192.0.2.5'] } },
    { row: 'a range across a /24 boundary', spec: { addresses: ['198.51.100.250-203.0.113.5'] } },
    { row: 'an IPv6 range across a 16-bit group boundary', spec: { addresses: ['2001:db8::ffff-2001:db8::1:0'] } },
    { row: 'IPv6 in upper case and with an embedded IPv4 tail', spec: { addresses: ['2001:DB8::A', '2001:db8::192.0.2.1-2001:db8::192.0.2.9'] } },
    { row: 'a whole IPv6 /32', spec: { addresses: ['2001:db8::/32'] } },
    { row: 'explicit autoAssign false and avoidBuggyIPs true', spec: { addresses: ['203.0.113.0/24'], autoAssign: false, avoidBuggyIPs: true } },
    {
      row: 'a full serviceAllocation',
      spec: {
        addresses: ['203.0.113.0/25'],
        serviceAllocation: {
          priority: 0,
          namespaces: ['team-a', 'team-b'],
          namespaceSelectors: [{ matchLabels: { 'kubernetes.io/metadata.name': 'team-c' } }, { matchLabels: { tier: '' } }],
          serviceSelectors: [
            {
              matchLabels: { 'app.kubernetes.io/name': 'web' },
              matchExpressions: [
                { key: 'app', operator: 'In', values: ['web', 'api'] },
                { key: 'example.com/legacy', operator: 'NotIn', values: ['yes'] },
                { key: 'tier', operator: 'Exists' },
                { key: 'canary', operator: 'DoesNotExist', values: [] },
              ],
            },
          ],
        },
      },
    },
  ])('$row', async ({ spec }) => {
    const { object } = expectAccepted(await create('ipaddresspools', 'crdtest-good', pool(spec)));
    expect(object.spec).toEqual({ autoAssign: true, avoidBuggyIPs: false, ...spec });
  });

  it('keeps 64 entries of the longest IPv6 ranges within the CEL runtime budget', async () => {
    const hex = (n: number) => n.toString(16).padStart(4, '0');
    const addresses = Array.from({ length: 64 }, (_, i) => `2001:0db8:ffff:ffff:ffff:ffff:${hex(i)}:0000-2001:0db8:ffff:ffff:ffff:ffff:${hex(i)}:ffff`);
    expect(Math.max(...addresses.map((a) => a.length))).toBe(79);
    expectAccepted(await create('ipaddresspools', 'crdtest-budget', pool({ addresses })));
  });
});

describe('IPAddressPool refuses bad pools with a message that names the field and the value', () => {
  const selector = (s: object) => ({ addresses: ['192.0.2.0/28'], serviceAllocation: { serviceSelectors: [s] } });
  it.each([
    { row: 'no spec', fields: {}, field: 'spec', message: 'Required value' },
    { row: 'no addresses', fields: pool({}), field: 'spec.addresses', message: 'Required value' },
    { row: 'an empty address list', fields: pool({ addresses: [] }), field: 'spec.addresses', message: 'should have at least 1 items' },
    { row: 'an empty address', fields: pool({ addresses: [''] }), field: 'spec.addresses[0]', message: 'should be at least 1 chars long' },
    {
      row: 'more than 64 entries',
      fields: pool({ addresses: Array.from({ length: 65 }, (_, i) => `2001:db8::${i.toString(16)}`) }),
      field: 'spec.addresses',
      message: 'must have at most 64 items',
    },
    { row: 'an entry longer than 100 characters', fields: pool({ addresses: ['2001:db8::1'.padEnd(101, '1')] }), field: 'spec.addresses[0]', message: 'Too long' },
    { row: 'garbage', fields: pool({ addresses: ['garbage'] }), field: 'spec.addresses[0]', message: 'addresses entry "garbage" is not an IP address, a CIDR (192.0.2.0/28) or a range (192.0.2.10-192.0.2.20)' },
    { row: 'a truncated IPv4 address', fields: pool({ addresses: ['192.0.2'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2" is not an IP address' },
    { row: 'IPv4 host bits set', fields: pool({ addresses: ['192.0.2.1/24'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.1/24" has host bits set: the address part must be the first address of the /24 block' },
    { row: 'IPv6 host bits set', fields: pool({ addresses: ['2001:db8::1/64'] }), field: 'spec.addresses[0]', message: 'addresses entry "2001:db8::1/64" has host bits set' },
    { row: 'a prefix longer than the address', fields: pool({ addresses: ['192.0.2.0/33'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.0/33" is not a valid CIDR' },
    { row: 'a zone index', fields: pool({ addresses: ['2001:db8::1%eth0'] }), field: 'spec.addresses[0]', message: 'addresses entry "2001:db8::1%eth0" has a zone index' },
    { row: 'a zone index in a CIDR', fields: pool({ addresses: ['2001:db8::%eth0/64'] }), field: 'spec.addresses[0]', message: 'has a zone index' },
    { row: 'an IPv4 octet with a leading zero', fields: pool({ addresses: ['192.0.2.010'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.010" has an IPv4 octet with a leading zero' },
    { row: 'a leading zero at the end of a range', fields: pool({ addresses: ['192.0.2.1-192.0.2.09'] }), field: 'spec.addresses[0]', message: 'has an IPv4 octet with a leading zero' },
    { row: 'a prefix length with a leading zero', fields: pool({ addresses: ['192.0.2.0/028'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.0/028" has a prefix length with a leading zero' },
    { row: 'an IPv4-mapped IPv6 address', fields: pool({ addresses: ['::ffff:192.0.2.1'] }), field: 'spec.addresses[0]', message: 'addresses entry "::ffff:192.0.2.1" is an IPv4-mapped IPv6 address' },
    { row: 'white space in a range', fields: pool({ addresses: ['192.0.2.1 - 192.0.2.9'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.1 - 192.0.2.9" contains whitespace' },
    { row: 'a trailing space', fields: pool({ addresses: ['192.0.2.0/28 '] }), field: 'spec.addresses[0]', message: 'contains whitespace' },
    { row: 'a range with three parts', fields: pool({ addresses: ['192.0.2.1-192.0.2.5-192.0.2.9'] }), field: 'spec.addresses[0]', message: 'is not a valid range (first-last' },
    { row: 'a range whose ends are a CIDR', fields: pool({ addresses: ['192.0.2.0/28-192.0.2.99'] }), field: 'spec.addresses[0]', message: 'is not a valid CIDR' },
    { row: 'a range of two families', fields: pool({ addresses: ['192.0.2.1-2001:db8::1'] }), field: 'spec.addresses[0]', message: 'addresses entry "192.0.2.1-2001:db8::1" is a range whose ends are of different IP families' },
    {
      row: 'a reversed IPv4 range',
      fields: pool({ addresses: ['192.0.2.20-192.0.2.10'] }),
      field: 'spec.addresses[0]',
      message: 'addresses entry "192.0.2.20-192.0.2.10" is a range whose first address is after its last; did you mean "192.0.2.10-192.0.2.20"?',
    },
    { row: 'a reversed IPv4 range that differs in the last bit', fields: pool({ addresses: ['192.0.2.11-192.0.2.10'] }), field: 'spec.addresses[0]', message: 'is a range whose first address is after its last' },
    { row: 'a reversed IPv6 range across a group boundary', fields: pool({ addresses: ['2001:db8::1:0-2001:db8::ffff'] }), field: 'spec.addresses[0]', message: 'is a range whose first address is after its last' },
    { row: 'a reversed range in the second entry', fields: pool({ addresses: ['192.0.2.0/28', '2001:db8::9-2001:db8::1'] }), field: 'spec.addresses[1]', message: 'addresses entry "2001:db8::9-2001:db8::1"' },
    { row: 'the same entry twice', fields: pool({ addresses: ['192.0.2.0/28', '198.51.100.1', '192.0.2.0/28'] }), field: 'spec.addresses[2]', message: 'Duplicate value: "192.0.2.0/28"' },
    { row: 'a negative priority', fields: pool({ addresses: ['192.0.2.0/28'], serviceAllocation: { priority: -1 } }), field: 'spec.serviceAllocation.priority', message: 'should be greater than or equal to 0' },
    { row: 'autoAssign as text', fields: pool({ addresses: ['192.0.2.0/28'], autoAssign: 'yes' }), field: 'spec.autoAssign', message: 'must be of type boolean' },
    {
      row: 'a namespace that is not a name',
      fields: pool({ addresses: ['192.0.2.0/28'], serviceAllocation: { namespaces: ['Team_A'] } }),
      field: 'spec.serviceAllocation.namespaces[0]',
      message: 'namespaces entry "Team_A" is not a namespace name',
    },
    { row: 'an empty namespace', fields: pool({ addresses: ['192.0.2.0/28'], serviceAllocation: { namespaces: [''] } }), field: 'spec.serviceAllocation.namespaces[0]', message: 'should be at least 1 chars long' },
    { row: 'a namespace twice', fields: pool({ addresses: ['192.0.2.0/28'], serviceAllocation: { namespaces: ['team-a', 'team-a'] } }), field: 'spec.serviceAllocation.namespaces[1]', message: 'Duplicate value: "team-a"' },
    {
      row: 'the same selector twice',
      fields: pool({ addresses: ['192.0.2.0/28'], serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: 'gold' } }, { matchLabels: { tier: 'gold' } }] } }),
      field: 'spec.serviceAllocation.namespaceSelectors',
      message: 'namespaceSelectors lists the same selector more than once',
    },
    { row: 'In without values', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'In' }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0]', message: 'matchExpressions key "app": operator In needs at least one value' },
    { row: 'NotIn with no values', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'NotIn', values: [] }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0]', message: 'matchExpressions key "app": operator NotIn needs at least one value' },
    { row: 'Exists with values', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'Exists', values: ['web'] }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0]', message: 'matchExpressions key "app": operator Exists must not have values' },
    { row: 'DoesNotExist with values', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'DoesNotExist', values: ['web'] }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0]', message: 'operator DoesNotExist must not have values' },
    { row: 'an unknown operator', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'Matches', values: ['w.*'] }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator', message: 'Unsupported value: "Matches"' },
    { row: 'a requirement without a key', fields: pool(selector({ matchExpressions: [{ operator: 'Exists' }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].key', message: 'Required value' },
    { row: 'a bad matchExpressions key', fields: pool(selector({ matchExpressions: [{ key: '-app', operator: 'Exists' }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].key', message: 'matchExpressions key "-app" is not a label key' },
    {
      row: 'a matchExpressions key with a prefix longer than 253',
      fields: pool(selector({ matchExpressions: [{ key: `${'a'.repeat(254)}/app`, operator: 'Exists' }] })),
      field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].key',
      message: 'is not a label key',
    },
    { row: 'a bad matchExpressions value', fields: pool(selector({ matchExpressions: [{ key: 'app', operator: 'In', values: ['web server'] }] })), field: 'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values[0]', message: 'matchExpressions value "web server" is not a label value' },
    { row: 'a bad matchLabels key', fields: pool(selector({ matchLabels: { 'my app': 'web' } })), field: 'spec.serviceAllocation.serviceSelectors[0].matchLabels', message: 'matchLabels key "my app" is not a label key' },
    { row: 'a bad matchLabels value', fields: pool(selector({ matchLabels: { app: 'web/server' } })), field: 'spec.serviceAllocation.serviceSelectors[0].matchLabels[app]', message: 'matchLabels value "web/server" is not a label value' },
  ])('$row', async ({ fields, field, message }) => {
    expectRefused(await create('ipaddresspools', 'crdtest-bad', fields), field, message);
  });

  it('drops unknown fields, and refuses them under fieldValidation=Strict', async () => {
    const fields = pool({ addresses: ['192.0.2.0/28'], autoassign: false });
    const { object } = expectAccepted(await create('ipaddresspools', 'crdtest-unknown', fields));
    expect(object.spec).toEqual({ addresses: ['192.0.2.0/28'], autoAssign: true, avoidBuggyIPs: false });
    const strict = await create('ipaddresspools', 'crdtest-unknown', fields, { strict: true });
    expect(strict.ok).toBe(false);
    expect(!strict.ok && strict.message).toContain('unknown field "spec.autoassign"');
  });
});

describe('IPAddressPool address syntax agrees with core parseRange()', () => {
  // The same texts through the CRD and through the parser the controller uses. One known difference:
  // the Kubernetes CEL library refuses IPv4-mapped IPv6 addresses, which core reads as IPv6.
  const corpus = [
    '192.0.2.0/24', '192.0.2.0/25', '192.0.2.128/25', '192.0.2.1/32', '192.0.2.1', '198.51.100.0/31', '203.0.113.255',
    '192.0.2.1/31', '192.0.2.64/25', '192.0.2.0/0', '0.0.0.0/0', '192.0.2.0/-1', '192.0.2.0/', '/24', '192.0.2.0/24/24',
    '192.0.2.256', '192.0.2.-1', '192.0.2', '192.0.2.1.5', '192.0.2.01', '192.00.2.1', '0192.0.2.1', '192.0.2.0/08', '1e2.0.2.1',
    '2001:db8::/32', '2001:db8::/128', '2001:db8::1', '2001:DB8::1:0', '2001:0db8:0000:0000:0000:0000:0000:0001',
    '2001:db8::192.0.2.1', '2001:db8:0:0:0:0:0:0:1', '2001:db8:::1', '2001:db8::1::2', '2001:db8::12345', '2001:db8::g',
    '2001:db8::/129', '2001:db8::1/127', '2001:db8::/032', '[2001:db8::1]', '2001:db8::1%1', '::ffff:192.0.2.1',
    '::ffff:c000:201', '192.0.2.1-192.0.2.9', '192.0.2.9-192.0.2.1', '192.0.2.1-192.0.2.1', '2001:db8::1-2001:db8::ff',
    '2001:db8::ff-2001:db8::1', '192.0.2.1-2001:db8::1', '2001:db8::1-192.0.2.1', '192.0.2.1-', '-192.0.2.1', '192.0.2.1--192.0.2.2',
    '192.0.2.1 ', ' 192.0.2.1', '192.0.2.1\t', 'localhost', 'abc', '::', '::/0', '1::',
  ];
  const knownDifferences = new Set(['::ffff:192.0.2.1', '::ffff:c000:201']);

  it(`gives the same verdict for ${corpus.length} texts (except IPv4-mapped IPv6)`, async () => {
    expect(new Set(corpus).size).toBe(corpus.length);
    const outcome = await create('ipaddresspools', 'crdtest-corpus', pool({ addresses: corpus }));
    expect(outcome.ok).toBe(false);
    const refusedIndexes = new Set(
      (outcome.ok ? [] : outcome.causes)
        .filter((c) => !isSkipNote(c))
        .map((c) => Number(/^spec\.addresses\[(\d+)\]$/.exec(c.field ?? '')?.[1] ?? NaN)),
    );
    expect([...refusedIndexes].some(Number.isNaN), 'every refusal names one entry').toBe(false);
    const disagreements = corpus
      .map((text, i) => ({ text, crd: refusedIndexes.has(i) ? 'refused' : 'accepted', core: parseRange(text).ok ? 'accepted' : 'refused' }))
      .filter((d) => d.crd !== d.core);
    expect(disagreements.filter((d) => !knownDifferences.has(d.text))).toEqual([]);
    expect(disagreements.map((d) => d.text).sort()).toEqual([...knownDifferences].sort());
  });

  it('orders range ends like core for random and adjacent pairs of both families', async () => {
    // Deterministic pseudo-random addresses inside the documentation ranges; pairs that differ in one random bit
    // exercise every bit position of the CEL rule's common-prefix search.
    let seed = 0x5eed;
    const rand = () => ((seed = (Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
    const v4Nets = [0xc0000200n, 0xc6336400n, 0xcb007100n];
    const v4 = (): bigint => v4Nets[Math.floor(rand() * 3)]! | BigInt(Math.floor(rand() * 256));
    const v6 = (): bigint => (0x20010db8n << 96n) | (BigInt(Math.floor(rand() * 2 ** 32)) << 64n) | (BigInt(Math.floor(rand() * 2 ** 32)) << 32n) | BigInt(Math.floor(rand() * 2 ** 32));
    const text = (family: 4 | 6, value: bigint) => formatAddress({ family, value } satisfies IPAddress);
    const ranges = new Set<string>();
    while (ranges.size < 64) {
      const family = ranges.size % 2 === 0 ? 4 : 6;
      const a = family === 4 ? v4() : v6();
      const flipBit = BigInt(Math.floor(rand() * (family === 4 ? 8 : 96)));
      const b = ranges.size % 4 < 2 ? a ^ (1n << flipBit) : family === 4 ? v4() : v6();
      ranges.add(`${text(family, a)}-${text(family, b)}`);
    }
    const addresses = [...ranges];
    const expected = addresses.flatMap((r, i) => (parseRange(r).ok ? [] : [i]));
    expect(expected.length).toBeGreaterThan(16);
    expect(expected.length).toBeLessThan(48);
    const outcome = await create('ipaddresspools', 'crdtest-order', pool({ addresses }));
    const causes = outcome.ok ? [] : outcome.causes;
    expect(causes.map((c) => c.field)).toEqual(expected.map((i) => `spec.addresses[${i}]`));
    for (const c of causes) expect(c.message).toContain('is a range whose first address is after its last');
  });
});

describe('L2Advertisement', () => {
  const full = {
    ipAddressPools: ['web', 'db.internal'],
    ipAddressPoolSelectors: [{ matchLabels: { 'herald.dev/announce': 'l2' } }],
    nodeSelectors: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'Exists' }] }, { matchLabels: { zone: 'a' } }],
    interfaces: ['eth0', 'bond0.100', 'enp3s0f1', 'br-lan_1', 'abcdefghijklmno'],
  };
  it.each([
    { row: 'no spec at all (every pool, every node), defaulted to an empty spec', fields: {}, spec: {} },
    { row: 'an empty spec', fields: { spec: {} }, spec: {} },
    { row: 'pools by name and by selector, nodes and interfaces', fields: { spec: full }, spec: full },
  ])('accepts $row', async ({ fields, spec }) => {
    const { object } = expectAccepted(await create('l2advertisements', 'crdtest-good', fields));
    expect(object.spec).toEqual(spec);
  });

  it.each([
    { row: 'a pool name that is not a name', spec: { ipAddressPools: ['Web_Pool'] }, field: 'spec.ipAddressPools[0]', message: 'ipAddressPools entry "Web_Pool" is not an IPAddressPool name' },
    { row: 'an empty pool name', spec: { ipAddressPools: [''] }, field: 'spec.ipAddressPools[0]', message: 'should be at least 1 chars long' },
    { row: 'a pool twice', spec: { ipAddressPools: ['web', 'web'] }, field: 'spec.ipAddressPools[1]', message: 'Duplicate value: "web"' },
    { row: 'the same pool selector twice', spec: { ipAddressPoolSelectors: [{ matchLabels: { a: 'b' } }, { matchLabels: { a: 'b' } }] }, field: 'spec.ipAddressPoolSelectors', message: 'ipAddressPoolSelectors lists the same selector more than once' },
    { row: 'the same node selector twice', spec: { nodeSelectors: [{}, {}] }, field: 'spec.nodeSelectors', message: 'nodeSelectors lists the same selector more than once' },
    { row: 'a node selector with In and no values', spec: { nodeSelectors: [{ matchExpressions: [{ key: 'zone', operator: 'In' }] }] }, field: 'spec.nodeSelectors[0].matchExpressions[0]', message: 'matchExpressions key "zone": operator In needs at least one value' },
    { row: 'a pool selector with Exists and values', spec: { ipAddressPoolSelectors: [{ matchExpressions: [{ key: 'l2', operator: 'Exists', values: ['x'] }] }] }, field: 'spec.ipAddressPoolSelectors[0].matchExpressions[0]', message: 'operator Exists must not have values' },
    { row: 'an interface alias with ":"', spec: { interfaces: ['eth0:1'] }, field: 'spec.interfaces[0]', message: 'interfaces entry "eth0:1" is not a Linux interface name: it contains ":"' },
    { row: 'an interface with "/"', spec: { interfaces: ['br/0'] }, field: 'spec.interfaces[0]', message: 'interfaces entry "br/0" is not a Linux interface name: it contains "/"' },
    { row: 'an interface with a space', spec: { interfaces: ['eth 0'] }, field: 'spec.interfaces[0]', message: 'interfaces entry "eth 0" is not a Linux interface name: it contains white space' },
    { row: 'an interface with a tab', spec: { interfaces: ['eth\t0'] }, field: 'spec.interfaces[0]', message: 'it contains white space' },
    { row: 'the interface "."', spec: { interfaces: ['.'] }, field: 'spec.interfaces[0]', message: 'interfaces entry "." is not a Linux interface name' },
    { row: 'the interface ".."', spec: { interfaces: ['..'] }, field: 'spec.interfaces[0]', message: 'interfaces entry ".." is not a Linux interface name' },
    { row: 'an interface of 16 characters', spec: { interfaces: ['abcdefghijklmnop'] }, field: 'spec.interfaces[0]', message: 'Too long: may not be more than 15' },
    { row: 'an interface of 15 characters but 16 bytes', spec: { interfaces: ['eth0-ünterface'.padEnd(15, 'x')] }, field: 'spec.interfaces[0]', message: 'is not a Linux interface name: longer than 15 bytes' },
    { row: 'an empty interface', spec: { interfaces: [''] }, field: 'spec.interfaces[0]', message: 'should be at least 1 chars long' },
    { row: 'an interface twice', spec: { interfaces: ['eth0', 'eth0'] }, field: 'spec.interfaces[1]', message: 'Duplicate value: "eth0"' },
  ])('refuses $row', async ({ spec, field, message }) => {
    expectRefused(await create('l2advertisements', 'crdtest-bad', { spec }), field, message);
  });
});

describe('LBAddress', () => {
  const lba = (address: string, more: Record<string, unknown> = {}) => ({ spec: { address, pool: 'web', services: [{ namespace: 'shop', name: 'frontend' }], ...more } });
  it.each([
    { row: 'an IPv4 address named as itself', name: '203.0.113.10', fields: lba('203.0.113.10') },
    { row: 'an IPv6 address named with "-" for ":"', name: '2001-db8--10', fields: lba('2001:db8::10') },
    { row: 'an IPv6 address ending in "::", named with a trailing 0', name: '2001-db8--0', fields: lba('2001:db8::') },
    { row: 'a shared address', name: '203.0.113.11', fields: lba('203.0.113.11', { services: [{ namespace: 'shop', name: 'http' }, { namespace: 'shop', name: 'https' }, { namespace: 'blog', name: 'http' }] }) },
  ])('accepts $row', async ({ name, fields }) => {
    const { object } = expectAccepted(await create('lbaddresses', name, fields));
    expect(object.spec).toEqual(fields.spec);
  });

  it.each([
    { row: 'a name that is not the address', name: '203.0.113.99', fields: lba('203.0.113.10'), field: '<nil>', message: 'metadata.name "203.0.113.99" does not match spec.address "203.0.113.10": the name must be "203.0.113.10"' },
    { row: 'an IPv6 name without the trailing 0', name: '2001-db8--1', fields: lba('2001:db8::'), field: '<nil>', message: 'the name must be "2001-db8--0"' },
    { row: 'an address with a prefix length', name: '203.0.113.10', fields: lba('203.0.113.10/32'), field: 'spec.address', message: 'address "203.0.113.10/32" is not an IP address' },
    { row: 'an address with a zone', name: '2001-db8--10', fields: lba('2001:db8::10%eth0'), field: 'spec.address', message: 'address "2001:db8::10%eth0" is not an IP address' },
    { row: 'an address that is not canonical', name: '2001-db8--10', fields: lba('2001:db8:0::10'), field: 'spec.address', message: 'address "2001:db8:0::10" is not in canonical form' },
    { row: 'an address in upper case', name: '2001-db8--a', fields: lba('2001:db8::A'), field: 'spec.address', message: 'address "2001:db8::A" is not in canonical form' },
    { row: 'no pool', name: '203.0.113.10', fields: { spec: { address: '203.0.113.10', services: [] } }, field: 'spec.pool', message: 'Required value' },
    { row: 'a pool that is not a name', name: '203.0.113.10', fields: lba('203.0.113.10', { pool: 'Web Pool' }), field: 'spec.pool', message: 'pool "Web Pool" is not an IPAddressPool name' },
    { row: 'no services', name: '203.0.113.10', fields: { spec: { address: '203.0.113.10', pool: 'web' } }, field: 'spec.services', message: 'Required value' },
    { row: 'a service without a name', name: '203.0.113.10', fields: lba('203.0.113.10', { services: [{ namespace: 'shop' }] }), field: 'spec.services[0].name', message: 'Required value' },
    { row: 'a service twice', name: '203.0.113.10', fields: lba('203.0.113.10', { services: [{ namespace: 'shop', name: 'web' }, { namespace: 'shop', name: 'web' }] }), field: 'spec.services[1]', message: 'Duplicate value' },
    { row: 'a Service name that starts with a digit', name: '203.0.113.10', fields: lba('203.0.113.10', { services: [{ namespace: 'shop', name: '1web' }] }), field: 'spec.services[0].name', message: 'services name "1web" is not a Service name' },
    { row: 'a namespace that is not a name', name: '203.0.113.10', fields: lba('203.0.113.10', { services: [{ namespace: 'Shop', name: 'web' }] }), field: 'spec.services[0].namespace', message: 'services namespace "Shop" is not a namespace name' },
  ])('refuses $row', async ({ name, fields, field, message }) => {
    expectRefused(await create('lbaddresses', name, fields), field, message);
  });
});

describe('status subresource and printer columns (real objects)', () => {
  const created: [Plural, string][] = [];
  const make = async (plural: Plural, name: string, fields: Record<string, unknown>) => {
    await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural, name }).catch(() => undefined);
    const outcome = expectAccepted(await create(plural, name, fields, { dryRun: false }));
    created.push([plural, name]);
    return outcome.object;
  };
  const get = (plural: Plural, name: string) => custom.getClusterCustomObject({ group: GROUP, version: VERSION, plural, name }) as Promise<{ metadata: { generation: number }; spec: Record<string, unknown>; status?: Record<string, unknown> }>;
  const patchStatus = async (plural: Plural, name: string, body: object): Promise<Outcome> => {
    try {
      return { ok: true, object: await custom.patchClusterCustomObjectStatus({ group: GROUP, version: VERSION, plural, name, body }, mergePatch) };
    } catch (e) {
      return refusal(e);
    }
  };

  afterAll(async () => {
    for (const [plural, name] of created) await custom.deleteClusterCustomObject({ group: GROUP, version: VERSION, plural, name }).catch(() => undefined);
  });

  it('keeps a status merge-patch on /status, ignores spec in it, and ignores status in a main-resource write', async () => {
    await make('ipaddresspools', 'crdtest-status', pool({ addresses: ['192.0.2.0/28'] }));
    const valid = { type: 'Valid', status: 'True', reason: 'Valid', message: '192.0.2.0/28', lastTransitionTime: now(), observedGeneration: 1 };
    const status = { assignedIPv4: 1, assignedIPv6: 0, availableIPv4: 15, availableIPv6: 0, assigned: 1, available: '15', observedGeneration: 1, conditions: [valid] };
    expectAccepted(await patchStatus('ipaddresspools', 'crdtest-status', { status, spec: { autoAssign: false } }));
    let back = await get('ipaddresspools', 'crdtest-status');
    expect(back.status).toEqual(status);
    expect(back.spec.autoAssign).toBe(true);
    expect(back.metadata.generation).toBe(1);

    await custom.patchClusterCustomObject({ group: GROUP, version: VERSION, plural: 'ipaddresspools', name: 'crdtest-status', body: { spec: { avoidBuggyIPs: true }, status: { assigned: 99 } } }, mergePatch);
    back = await get('ipaddresspools', 'crdtest-status');
    expect(back.spec.avoidBuggyIPs).toBe(true);
    expect(back.metadata.generation).toBe(2);
    expect(back.status?.assigned).toBe(1);
  });

  it.each([
    { row: 'a negative count', plural: 'ipaddresspools' as const, status: { assigned: -1 }, field: 'status.assigned', message: 'should be greater than or equal to 0' },
    { row: 'available that is not a number', plural: 'ipaddresspools' as const, status: { available: 'lots' }, field: 'status.available', message: 'should match' },
    { row: 'a condition without a reason', plural: 'ipaddresspools' as const, status: { conditions: [{ type: 'Valid', status: 'True', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] }, field: 'status.conditions[0].reason', message: 'Required value' },
    { row: 'a condition status that is not True/False/Unknown', plural: 'ipaddresspools' as const, status: { conditions: [{ type: 'Valid', status: 'Yes', reason: 'Valid', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] }, field: 'status.conditions[0].status', message: 'Unsupported value: "Yes"' },
    { row: 'a MAC that is not a MAC', plural: 'lbaddresses' as const, status: { mac: '00:00:5e:00:53' }, field: 'status.mac', message: 'mac "00:00:5e:00:53" is not an Ethernet MAC address' },
    { row: 'an interface alias', plural: 'lbaddresses' as const, status: { interface: 'eth0:1' }, field: 'status.interface', message: 'interface "eth0:1" is not a Linux interface name: it contains ":"' },
    { row: 'since that is not a date-time', plural: 'lbaddresses' as const, status: { since: 'yesterday' }, field: 'status.since', message: 'must be of type date-time' },
    { row: 'negative transitions', plural: 'lbaddresses' as const, status: { transitions: -1 }, field: 'status.transitions', message: 'should be greater than or equal to 0' },
  ])('refuses a status with $row', async ({ plural, status, field, message }) => {
    const name = plural === 'ipaddresspools' ? 'crdtest-badstatus' : '203.0.113.20';
    if (!created.some(([p, n]) => p === plural && n === name)) {
      await make(plural, name, plural === 'ipaddresspools' ? pool({ addresses: ['198.51.100.0/28'] }) : { spec: { address: name, pool: 'web', services: [] } });
    }
    expectRefused(await patchStatus(plural, name, { status }), field, message);
  });

  it('kubectl get ipaddresspools shows ADDRESSES, ASSIGNED, AVAILABLE, VALID and AGE (and more with -o wide)', async () => {
    await make('ipaddresspools', 'crdtest-cols', pool({ addresses: ['192.0.2.0/28', '2001:db8::/120'], serviceAllocation: { priority: 5 } }));
    const conflict = { type: 'Conflict', status: 'False', reason: 'NoOverlap', message: '', lastTransitionTime: now() };
    const valid = { type: 'Valid', status: 'True', reason: 'Valid', message: '192.0.2.0/28, 2001:db8::/120', lastTransitionTime: now() };
    expectAccepted(await patchStatus('ipaddresspools', 'crdtest-cols', { status: { assigned: 3, available: '269', conditions: [conflict, valid] } }));
    expect(await table(['get', 'ipaddresspools', 'crdtest-cols'])).toEqual([
      { NAME: 'crdtest-cols', ADDRESSES: '["192.0.2.0/28","2001:db8::/120"]', ASSIGNED: '3', AVAILABLE: '269', VALID: 'True', AGE: expect.stringMatching(AGE) },
    ]);
    expect(await table(['get', 'ipp', 'crdtest-cols', '-o', 'wide'])).toEqual([
      expect.objectContaining({ NAME: 'crdtest-cols', VALID: 'True', 'AUTO ASSIGN': 'true', 'AVOID BUGGY IPS': 'false', PRIORITY: '5' }),
    ]);
  });

  it('kubectl get lbaddresses shows ADDRESS, POOL, SERVICES, NODE, INTERFACE, MAC and AGE', async () => {
    await make('lbaddresses', '203.0.113.30', { spec: { address: '203.0.113.30', pool: 'crdtest-cols', services: [{ namespace: 'shop', name: 'http' }, { namespace: 'blog', name: 'https' }], serviceNames: 'shop/http, blog/https' } });
    await make('lbaddresses', '2001-db8--30', { spec: { address: '2001:db8::30', pool: 'crdtest-cols', services: [{ namespace: 'shop', name: 'http' }], serviceNames: 'shop/http' } });
    const status = { node: 'node-a', interface: 'eth0', mac: '00:00:5e:00:53:01', since: now(), lastGratuitous: now(), transitions: 2 };
    expectAccepted(await patchStatus('lbaddresses', '203.0.113.30', { status }));
    expect((await get('lbaddresses', '203.0.113.30')).status).toEqual(status);
    // SERVICES is the whole list, readable (spec.serviceNames, written by the controller): the apiserver
    // prints only the first match of a column's JSONPath, and .spec.services would print raw JSON.
    expect(await table(['get', 'lbaddresses', '203.0.113.30', '2001-db8--30'])).toEqual([
      {
        NAME: '203.0.113.30',
        ADDRESS: '203.0.113.30',
        POOL: 'crdtest-cols',
        SERVICES: 'shop/http, blog/https',
        NODE: 'node-a',
        INTERFACE: 'eth0',
        MAC: '00:00:5e:00:53:01',
        AGE: expect.stringMatching(AGE),
      },
      { NAME: '2001-db8--30', ADDRESS: '2001:db8::30', POOL: 'crdtest-cols', SERVICES: 'shop/http', NODE: '', INTERFACE: '', MAC: '', AGE: expect.stringMatching(AGE) },
    ]);
    expect(await table(['get', 'lba', '203.0.113.30', '-o', 'wide'])).toEqual([expect.objectContaining({ SINCE: expect.stringMatching(AGE), TRANSITIONS: '2' })]);
  });

  it('kubectl get l2advertisements shows POOLS and INTERFACES, and the herald category lists all three kinds', async () => {
    await make('l2advertisements', 'crdtest-cols', { spec: { ipAddressPools: ['crdtest-cols'], interfaces: ['eth0', 'eth1'] } });
    expect(await table(['get', 'l2adv', 'crdtest-cols'])).toEqual([{ NAME: 'crdtest-cols', POOLS: '["crdtest-cols"]', INTERFACES: '["eth0","eth1"]', AGE: expect.stringMatching(AGE) }]);
    const all = await kubectl(['get', 'herald', '-o', 'name']);
    expect(all.code, all.stderr).toBe(0);
    for (const name of ['ipaddresspool.herald.dev/crdtest-cols', 'l2advertisement.herald.dev/crdtest-cols', 'lbaddress.herald.dev/203.0.113.30']) {
      expect(all.stdout.split('\n')).toContain(name);
    }
  });
});

const AGE = /^\d+s$/;

/** kubectl's table output as rows keyed by column title; cells are cut at the header's column offsets. */
async function table(args: string[]): Promise<Record<string, string>[]> {
  const r = await kubectl(args);
  expect(r.code, r.stderr).toBe(0);
  const [header = '', ...rows] = r.stdout.trimEnd().split('\n');
  const columns = [...header.matchAll(/\S+(?: \S+)*/g)].map((m) => ({ title: m[0], start: m.index }));
  return rows.map((row) =>
    Object.fromEntries(columns.map((c, i) => [c.title, row.slice(c.start, columns[i + 1]?.start ?? row.length).trim()])),
  );
}

// ---- The schemas against the TypeScript API (packages/core/src/api/v1beta1.ts) and against each other ----

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  enum?: string[];
  default?: unknown;
  [k: string]: unknown;
}

const crdSchemas = (): Record<Plural, Schema> => {
  const out: Partial<Record<Plural, Schema>> = {};
  for (const file of crdFiles()) {
    const crd = parse(readFileSync(file, 'utf8')) as { spec: { names: { plural: Plural }; versions: { schema: { openAPIV3Schema: Schema } }[] } };
    out[crd.spec.names.plural] = crd.spec.versions[0]!.schema.openAPIV3Schema;
  }
  return out as Record<Plural, Schema>;
};

/** Compares an interface of v1beta1.ts with a schema: same properties, optional = not required, same kinds. */
function shapeMismatches(iface: string, schema: Schema, at: string, decls: Map<string, ts.InterfaceDeclaration>, source: ts.SourceFile): string[] {
  const decl = decls.get(iface);
  if (!decl) return [`${at}: no interface ${iface} in v1beta1.ts`];
  const out: string[] = [];
  const props = new Map(decl.members.filter(ts.isPropertySignature).map((m) => [m.name.getText(source), m]));
  const schemaProps = schema.properties ?? {};
  for (const name of Object.keys(schemaProps)) if (!props.has(name)) out.push(`${at}.${name}: in the CRD, not in ${iface}`);
  for (const [name, member] of props) {
    const sub = schemaProps[name];
    if (!sub) {
      out.push(`${at}.${name}: in ${iface}, not in the CRD`);
      continue;
    }
    // A field TypeScript always has must be required or defaulted; an optional one must not be required.
    const optional = member.questionToken !== undefined;
    const inRequired = (schema.required ?? []).includes(name);
    if (name !== 'metadata' && (optional ? inRequired : !inRequired && sub.default === undefined)) out.push(`${at}.${name}: optional in one, required in the other`);
    out.push(...typeMismatches(member.type!, sub, `${at}.${name}`, decls, source));
  }
  return out;
}

function typeMismatches(type: ts.TypeNode, schema: Schema, at: string, decls: Map<string, ts.InterfaceDeclaration>, source: ts.SourceFile): string[] {
  const want = (t: string) => (schema.type === t ? [] : [`${at}: ${type.getText(source)} in TypeScript, ${schema.type} in the CRD`]);
  if (type.kind === ts.SyntaxKind.StringKeyword || ts.isLiteralTypeNode(type)) return want('string');
  if (type.kind === ts.SyntaxKind.NumberKeyword) return want('integer');
  if (type.kind === ts.SyntaxKind.BooleanKeyword) return want('boolean');
  if (ts.isUnionTypeNode(type)) {
    const literals = type.types.map((t) => (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal) ? t.literal.text : '?'));
    return [...want('string'), ...(JSON.stringify([...(schema.enum ?? [])].sort()) === JSON.stringify(literals.sort()) ? [] : [`${at}: enum ${JSON.stringify(schema.enum)} vs ${literals.join('|')}`])];
  }
  if (ts.isArrayTypeNode(type)) return [...want('array'), ...typeMismatches(type.elementType, schema.items ?? {}, `${at}[]`, decls, source)];
  if (ts.isTypeReferenceNode(type)) {
    const name = type.typeName.getText(source);
    if (name === 'Record') return [...want('object'), ...(schema.additionalProperties?.type === 'string' ? [] : [`${at}: Record<string, string> without additionalProperties: string`])];
    if (name === 'ObjectMeta') return want('object');
    return [...want('object'), ...shapeMismatches(name, schema, at, decls, source)];
  }
  return [`${at}: cannot compare ${type.getText(source)}`];
}

describe('the CRD files', () => {
  const schemas = crdSchemas();

  it('accept exactly the fields of v1beta1.ts, with the same optionality and kinds', () => {
    const file = resolve(import.meta.dirname, '../../packages/core/src/api/v1beta1.ts');
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const decls = new Map(source.statements.filter(ts.isInterfaceDeclaration).map((d) => [d.name.text, d]));
    const mismatches = [
      ...shapeMismatches('IPAddressPool', schemas.ipaddresspools, 'IPAddressPool', decls, source),
      ...shapeMismatches('L2Advertisement', schemas.l2advertisements, 'L2Advertisement', decls, source),
      ...shapeMismatches('LBAddress', schemas.lbaddresses, 'LBAddress', decls, source),
    ];
    expect(mismatches).toEqual([]);
  });

  it('spell the LabelSelector and the metav1.Condition schema the same everywhere', () => {
    const selectors: [string, Schema][] = [];
    const conditions: [string, Schema][] = [];
    const walk = (s: Schema, at: string): void => {
      if (s.properties?.matchLabels) selectors.push([at, s]);
      if (s.properties?.lastTransitionTime) conditions.push([at, s]);
      for (const [k, v] of Object.entries(s.properties ?? {})) walk(v, `${at}.${k}`);
      if (s.items) walk(s.items, `${at}[]`);
    };
    for (const [plural, schema] of Object.entries(schemas)) walk(schema, plural);
    expect(selectors.map(([at]) => at)).toEqual([
      'ipaddresspools.spec.serviceAllocation.namespaceSelectors[]',
      'ipaddresspools.spec.serviceAllocation.serviceSelectors[]',
      'l2advertisements.spec.ipAddressPoolSelectors[]',
      'l2advertisements.spec.nodeSelectors[]',
    ]);
    expect(conditions.map(([at]) => at)).toEqual(['ipaddresspools.status.conditions[]', 'l2advertisements.status.conditions[]', 'lbaddresses.status.conditions[]']);
    for (const [at, s] of selectors) expect(s, at).toEqual(selectors[0]![1]);
    for (const [at, s] of conditions) expect(s, at).toEqual(conditions[0]![1]);
  });

  it('are plain YAML named after their plural, with no Helm templating', () => {
    for (const file of crdFiles()) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/\{\{|\}\}/);
      const crd = parse(text) as { metadata: { name: string }; spec: { group: string; names: { plural: string } } };
      expect(basename(file)).toBe(`${crd.spec.names.plural}.yaml`);
      expect(crd.metadata.name).toBe(`${crd.spec.names.plural}.${GROUP}`);
      expect(crd.spec.group).toBe(GROUP);
    }
  });
});
