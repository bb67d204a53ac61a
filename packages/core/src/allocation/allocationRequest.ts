import { parseAddress, formatAddress, type Family, type IPAddress } from '../ip/address.js';
import { err, ok, type Result } from '../result.js';
import { ANNOTATION, readAnnotation, type AnnotationAlias } from './annotations.js';
import { serviceKey, type ServiceObject } from './serviceObject.js';

export type FamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';

export interface PortUse {
  readonly protocol: string;
  readonly port: number;
}

/** Everything the allocator needs to know about one Service, already parsed. */
export interface AllocationRequest {
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly namespaceLabels: Readonly<Record<string, string>>;
  /** Families to assign, primary first: one for SingleStack, the Service's families otherwise. */
  readonly families: readonly Family[];
  readonly familyPolicy: FamilyPolicy;
  readonly pool?: string;
  readonly addresses?: readonly IPAddress[];
  readonly sharingKey?: string;
  /** Other namespaces whose Services may share with this one (each side must name the other). */
  readonly sharingNamespaces: readonly string[];
  /** "" for Cluster policy; the canonical selector for Local, so Local Services share only with twins. */
  readonly backendKey: string;
  readonly ports: readonly PortUse[];
  /** Addresses the Service shows in status.loadBalancer today (the source of truth across restarts). */
  readonly current: readonly IPAddress[];
  /**
   * Set when the Service's request could not be read: the addresses it holds are re-claimed with the
   * same checks as any kept address (so no other Service is handed them), and nothing new is chosen.
   */
  readonly keepOnly?: boolean;
}

export interface RequestProblem {
  readonly reason: 'InvalidRequest';
  readonly detail: string;
  /** What can still be read of the Service, to keep the addresses it holds (see `keepOnly`). */
  readonly keep: AllocationRequest;
}

const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const familyOf = (f: string): Family | undefined => (f === 'IPv4' ? 4 : f === 'IPv6' ? 6 : undefined);

/** Reads a Service into an allocation request; a malformed request is an InvalidRequest with details. */
export function readAllocationRequest(
  svc: ServiceObject,
  namespaceLabels: Readonly<Record<string, string>>,
): Result<{ request: AllocationRequest; aliases: AnnotationAlias[] }, RequestProblem> {
  const annotations = svc.metadata.annotations ?? {};
  const aliases: AnnotationAlias[] = [];

  const current: IPAddress[] = [];
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (!ing.ip) continue;
    const a = parseAddress(ing.ip);
    if (a.ok) current.push(a.value);
  }
  const local = svc.spec.externalTrafficPolicy === 'Local';
  const selector = svc.spec.selector ?? {};
  const selectorText = Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(',');
  const base = {
    key: serviceKey(svc),
    namespace: svc.metadata.namespace,
    labels: svc.metadata.labels ?? {},
    namespaceLabels,
    // A selector picks Pods of its own namespace, so Local Services of two namespaces never have the same
    // endpoints: sharing would leave the address with no eligible node.
    backendKey: local ? `local:${svc.metadata.namespace}:${selectorText}` : '',
    ports: (svc.spec.ports ?? []).map((p) => ({ protocol: p.protocol ?? 'TCP', port: p.port })),
    current,
  };
  const rawKey = readAnnotation(annotations, ANNOTATION.allowSharedIP, []);
  const rawNamespaces = annotations[ANNOTATION.allowSharedIPNamespaces];
  const invalid = (detail: string) =>
    err<RequestProblem>({
      reason: 'InvalidRequest',
      detail,
      keep: {
        ...base,
        families: [...new Set(current.map((a) => a.family))],
        familyPolicy: 'PreferDualStack',
        ...(rawKey?.trim() ? { sharingKey: rawKey } : {}),
        sharingNamespaces: rawNamespaces ? rawNamespaces.split(',').map((n) => n.trim()).filter((n) => NAMESPACE_NAME.test(n)) : [],
        keepOnly: true,
      },
    });

  const serviceFamilies = (svc.spec.ipFamilies ?? ['IPv4']).map(familyOf).filter((f): f is Family => f !== undefined);
  if (serviceFamilies.length === 0) return invalid(`spec.ipFamilies ${JSON.stringify(svc.spec.ipFamilies)} names no IP family`);
  const policy = (svc.spec.ipFamilyPolicy ?? 'SingleStack') as FamilyPolicy;
  const families = policy === 'SingleStack' ? serviceFamilies.slice(0, 1) : serviceFamilies;

  const pool = readAnnotation(annotations, ANNOTATION.addressPool, aliases);
  const requestedText = readAnnotation(annotations, ANNOTATION.loadBalancerIPs, aliases);
  const sharingKey = readAnnotation(annotations, ANNOTATION.allowSharedIP, aliases);
  const legacyIP = svc.spec.loadBalancerIP;

  let addresses: IPAddress[] | undefined;
  if (requestedText !== undefined && legacyIP) {
    return invalid(`spec.loadBalancerIP "${legacyIP}" and annotation ${ANNOTATION.loadBalancerIPs} "${requestedText}" are both set; use only the annotation`);
  }
  const listText = requestedText ?? (legacyIP || undefined);
  if (listText !== undefined) {
    const source = requestedText !== undefined ? `annotation ${ANNOTATION.loadBalancerIPs}` : 'spec.loadBalancerIP';
    addresses = [];
    for (const part of listText.split(',').map((s) => s.trim())) {
      const a = parseAddress(part);
      if (!a.ok) return invalid(`${source}: ${a.error.message}`);
      if (addresses.some((b) => b.family === a.value.family)) return invalid(`${source} "${listText}" asks for two IPv${a.value.family} addresses; at most one per family`);
      if (!families.includes(a.value.family)) {
        return invalid(`${source} asks for ${formatAddress(a.value)} (IPv${a.value.family}) but the Service's families are [${families.map((f) => `IPv${f}`).join(', ')}]`);
      }
      addresses.push(a.value);
    }
    if (addresses.length === 0) return invalid(`${source} is empty`);
  }
  if (pool !== undefined && pool.trim() === '') return invalid(`annotation ${ANNOTATION.addressPool} is empty`);
  if (sharingKey !== undefined && sharingKey.trim() === '') return invalid(`annotation ${ANNOTATION.allowSharedIP} is empty`);

  const sharingNamespaces: string[] = [];
  if (rawNamespaces !== undefined) {
    for (const n of rawNamespaces.split(',').map((x) => x.trim())) {
      if (!NAMESPACE_NAME.test(n) || n.length > 63) return invalid(`annotation ${ANNOTATION.allowSharedIPNamespaces}: "${n}" is not a namespace name`);
      if (n !== svc.metadata.namespace) sharingNamespaces.push(n);
    }
    if (sharingKey === undefined) return invalid(`annotation ${ANNOTATION.allowSharedIPNamespaces} needs ${ANNOTATION.allowSharedIP}: namespaces share only under a sharing key`);
  }

  return ok({
    request: {
      ...base,
      families,
      familyPolicy: policy,
      ...(pool !== undefined ? { pool } : {}),
      ...(addresses !== undefined ? { addresses } : {}),
      ...(sharingKey !== undefined ? { sharingKey } : {}),
      sharingNamespaces,
    },
    aliases,
  });
}
