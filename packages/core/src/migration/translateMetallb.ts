import { API_VERSION, type IPAddressPool, type IPAddressPoolSpec, type L2Advertisement, type L2AdvertisementSpec, type LabelSelector, type ServiceAllocation } from '../api/v1beta1.js';
import { familyBits, formatAddress, parseAddress } from '../ip/address.js';
import { parseRange } from '../ip/range.js';
import { matchesAny } from '../pool/labelSelector.js';
import { legacyConfigObjects } from './legacyConfigObjects.js';
import type { MigrationFinding } from './migrationFinding.js';
import { METALLB_BGP_KINDS, type LegacyConfig, type MetalLBObject } from './metallbConfig.js';

export interface MetalLBInput {
  /** metallb.io objects, in any namespace; other objects are reported as UnknownKind. */
  readonly objects: readonly MetalLBObject[];
  /** The legacy ConfigMap's parsed `config` document, and where it came from (`metallb-system/config`). */
  readonly legacy?: { readonly config: LegacyConfig; readonly source: string };
}

export interface MigrationPlan {
  readonly pools: IPAddressPool[];
  readonly l2Advertisements: L2Advertisement[];
  readonly findings: MigrationFinding[];
}

/** Set on every object migrate writes, so a person can tell where it came from. */
export const MIGRATED_FROM_ANNOTATION = 'herald.dev/migrated-from';

const POOL_FIELDS = new Set(['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation']);
const ALLOCATION_FIELDS = new Set(['priority', 'namespaces', 'namespaceSelectors', 'serviceSelectors']);
const L2_FIELDS = new Set(['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces']);
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const describe = (o: MetalLBObject) => o.origin ? `${o.kind} ${o.metadata.name} (from ${o.origin})` : `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
const isMetalLB = (o: MetalLBObject) => (o.apiVersion ?? '').startsWith('metallb.io/');
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const selectors = (v: unknown): LabelSelector[] => (Array.isArray(v) ? (v as LabelSelector[]) : []);

/** A valid object name close to the given one, for the error message only (never applied silently). */
export function suggestName(name: string): string {
  const s = name.toLowerCase().replace(/[^a-z0-9.-]+/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return s.slice(0, 253) || 'pool';
}

/** Does an advertisement (L2 or BGP: same pool fields) apply to the pool? Neither names nor selectors = every pool. */
function advertises(spec: Readonly<Record<string, unknown>> | undefined, pool: MetalLBObject): boolean {
  const names = strings(spec?.ipAddressPools);
  const sel = selectors(spec?.ipAddressPoolSelectors);
  if (names.length === 0 && sel.length === 0) return true;
  return names.includes(pool.metadata.name) || matchesAny(sel, pool.metadata.labels ?? {});
}

/**
 * One address entry in herald's stricter syntax, as MetalLB would have read it: whitespace trimmed (MetalLB
 * trims around the dash) and host bits cleared (MetalLB's net.ParseCIDR uses the network).
 */
function translateAddress(entry: string, object: string, findings: MigrationFinding[]): string | undefined {
  let text = entry.replace(/\s+/g, '');
  if (text !== entry) findings.push({ action: 'changed', reason: 'WhitespaceRemoved', object, detail: `"${entry}" is written "${text}"` });
  const parsed = parseRange(text);
  if (!parsed.ok && parsed.error.reason === 'HostBitsSet') {
    const [addressText, prefixText] = text.split('/') as [string, string];
    const a = parseAddress(addressText);
    if (a.ok) {
      const hostMask = (1n << BigInt(familyBits(a.value.family) - Number(prefixText))) - 1n;
      const network = `${formatAddress({ family: a.value.family, value: a.value.value & ~hostMask })}/${prefixText}`;
      findings.push({ action: 'changed', reason: 'HostBitsCleared', object, detail: `"${entry}" has host bits set; MetalLB used the network ${network}, which is what herald gets` });
      text = network;
      return text;
    }
  }
  if (!parsed.ok) {
    findings.push({ action: 'skipped', reason: 'InvalidAddress', object, detail: `address ${JSON.stringify(entry)}: ${parsed.error.message}` });
    return undefined;
  }
  return text;
}

function dropUnknown(spec: Readonly<Record<string, unknown>>, known: Set<string>, object: string, findings: MigrationFinding[], why: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(spec).sort()) {
    if (known.has(key)) continue;
    findings.push({ action: 'changed', reason: 'UnsupportedField', object, detail: `spec.${key} is dropped: ${why[key] ?? 'herald has no such field'}` });
  }
}

function translatePool(o: MetalLBObject, findings: MigrationFinding[]): IPAddressPool | undefined {
  const object = describe(o);
  const spec = o.spec ?? {};
  const raw = spec.addresses;
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((a) => typeof a !== 'string')) {
    findings.push({ action: 'skipped', reason: 'InvalidAddress', object, detail: 'spec.addresses must be a non-empty list of strings' });
    return undefined;
  }
  const addresses: string[] = [];
  for (const entry of raw as string[]) {
    const t = translateAddress(entry, object, findings);
    if (t === undefined) return undefined;
    addresses.push(t);
  }
  dropUnknown(spec, POOL_FIELDS, object, findings);
  const out: IPAddressPoolSpec = { addresses };
  if (typeof spec.autoAssign === 'boolean') out.autoAssign = spec.autoAssign;
  if (typeof spec.avoidBuggyIPs === 'boolean') out.avoidBuggyIPs = spec.avoidBuggyIPs;
  const sa = spec.serviceAllocation as Record<string, unknown> | undefined;
  if (sa && typeof sa === 'object') {
    dropUnknown(sa, ALLOCATION_FIELDS, object, findings);
    const allocation: ServiceAllocation = {};
    if (typeof sa.priority === 'number') allocation.priority = sa.priority;
    if (Array.isArray(sa.namespaces)) allocation.namespaces = strings(sa.namespaces);
    if (Array.isArray(sa.namespaceSelectors)) allocation.namespaceSelectors = selectors(sa.namespaceSelectors);
    if (Array.isArray(sa.serviceSelectors)) allocation.serviceSelectors = selectors(sa.serviceSelectors);
    out.serviceAllocation = allocation;
  }
  return { apiVersion: API_VERSION, kind: 'IPAddressPool', metadata: meta(o), spec: out };
}

function translateL2(o: MetalLBObject, findings: MigrationFinding[]): L2Advertisement {
  const object = describe(o);
  const spec = o.spec ?? {};
  dropUnknown(spec, L2_FIELDS, object, findings, {
    serviceSelectors: 'herald announces every Service of the advertised pools; this advertisement now covers them all',
    preferredNodeSelectors: 'herald has no soft node preference; the owner is chosen among nodeSelectors by hash',
  });
  const out: L2AdvertisementSpec = {};
  if (Array.isArray(spec.ipAddressPools)) out.ipAddressPools = strings(spec.ipAddressPools);
  if (Array.isArray(spec.ipAddressPoolSelectors)) out.ipAddressPoolSelectors = selectors(spec.ipAddressPoolSelectors);
  if (Array.isArray(spec.nodeSelectors)) out.nodeSelectors = selectors(spec.nodeSelectors);
  if (Array.isArray(spec.interfaces)) out.interfaces = strings(spec.interfaces);
  return { apiVersion: API_VERSION, kind: 'L2Advertisement', metadata: meta(o), spec: out };
}

function meta(o: MetalLBObject): IPAddressPool['metadata'] {
  const from = o.origin ?? `${o.apiVersion ?? 'metallb.io/v1beta1'} ${describe(o)}`;
  return { name: o.metadata.name, ...(o.metadata.labels && Object.keys(o.metadata.labels).length ? { labels: { ...o.metadata.labels } } : {}), annotations: { [MIGRATED_FROM_ANNOTATION]: from } };
}

/**
 * MetalLB's layer-2 configuration as herald objects, and a finding for everything that is not carried over
 * exactly. Deterministic: output is sorted by name, whatever order the input came in.
 */
export function translateMetallb(input: MetalLBInput): MigrationPlan {
  const findings: MigrationFinding[] = [];
  const objects: MetalLBObject[] = [];
  for (const o of input.objects) {
    if (!isMetalLB(o)) findings.push({ action: 'skipped', reason: 'UnknownKind', object: describe(o), detail: `${o.apiVersion ?? '(no apiVersion)'} is not MetalLB configuration` });
    else objects.push(o);
  }
  if (input.legacy) {
    const legacy = legacyConfigObjects(input.legacy.config, input.legacy.source);
    objects.push(...legacy.objects);
    findings.push(...legacy.findings);
  }
  const byName = (a: MetalLBObject, b: MetalLBObject) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0);
  const ofKind = (k: string) => objects.filter((o) => o.kind === k).sort(byName);
  const l2Sources = ofKind('L2Advertisement');
  const bgpAds = ofKind('BGPAdvertisement');

  for (const o of objects) {
    if ((METALLB_BGP_KINDS as readonly string[]).includes(o.kind)) {
      findings.push({ action: 'skipped', reason: 'BGPNotSupported', object: describe(o), detail: 'BGP configuration; herald announces only on layer 2' });
    } else if (o.kind !== 'IPAddressPool' && o.kind !== 'L2Advertisement') {
      findings.push({ action: 'skipped', reason: 'UnknownKind', object: describe(o), detail: `${o.kind} is not configuration that migrate translates (status objects are rebuilt by herald)` });
    }
  }

  const named = (source: MetalLBObject, seen: Set<string>): boolean => {
    const name = source.metadata.name;
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253) {
      findings.push({ action: 'skipped', reason: 'InvalidName', object: describe(source), detail: `"${name}" is not a valid object name; rename the pool (for example to "${suggestName(name)}") in MetalLB and in the Services that name it` });
      return false;
    }
    if (seen.has(name)) {
      findings.push({ action: 'skipped', reason: 'DuplicateName', object: describe(source), detail: `another ${source.kind} is already called "${name}"; herald's objects are cluster-scoped` });
      return false;
    }
    seen.add(name);
    return true;
  };

  const pools: IPAddressPool[] = [];
  const poolNames = new Set<string>();
  for (const o of ofKind('IPAddressPool')) {
    if (!named(o, poolNames)) continue;
    const onL2 = l2Sources.some((ad) => advertises(ad.spec, o));
    const onBgp = bgpAds.filter((ad) => advertises(ad.spec, o));
    if (!onL2 && onBgp.length > 0) {
      findings.push({ action: 'skipped', reason: 'BGPOnlyPool', object: describe(o), detail: `announced only by ${onBgp.map((b) => `BGPAdvertisement ${b.metadata.name}`).join(', ')}; herald would assign its addresses but never announce them` });
      continue;
    }
    const p = translatePool(o, findings);
    if (p) pools.push(p);
  }
  const l2Advertisements: L2Advertisement[] = [];
  const adNames = new Set<string>();
  for (const o of l2Sources) if (named(o, adNames)) l2Advertisements.push(translateL2(o, findings));
  return { pools, l2Advertisements, findings };
}
