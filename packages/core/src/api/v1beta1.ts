/**
 * herald.dev/v1beta1 as plain data: what the CRDs in charts/herald/crds accept, field for field.
 * The controller and speaker read Kubernetes objects into these shapes; core never sees client types.
 */
export const GROUP = 'herald.dev';
export const VERSION = 'v1beta1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface ServiceAllocation {
  /** Lower wins; 0 or unset is the lowest priority (tried after every pool with a priority), as in MetalLB. */
  priority?: number;
  namespaces?: string[];
  namespaceSelectors?: LabelSelector[];
  serviceSelectors?: LabelSelector[];
}

export interface IPAddressPoolSpec {
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  serviceAllocation?: ServiceAllocation;
}

/** metav1.Condition */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface IPAddressPoolStatus {
  /** Counts are capped at 2^63-1 (a /64 has 2^64 addresses); the text fields hold the exact numbers. */
  assignedIPv4?: number;
  assignedIPv6?: number;
  availableIPv4?: number;
  availableIPv6?: number;
  assigned?: number;
  /** Exact available count as decimal text, for columns: "18446744073709551616". */
  available?: string;
  conditions?: Condition[];
  observedGeneration?: number;
}

export interface L2AdvertisementSpec {
  ipAddressPools?: string[];
  ipAddressPoolSelectors?: LabelSelector[];
  nodeSelectors?: LabelSelector[];
  interfaces?: string[];
}

export interface L2AdvertisementStatus {
  conditions?: Condition[];
}

export interface ServiceRef {
  namespace: string;
  name: string;
}

export interface LBAddressSpec {
  address: string;
  pool: string;
  services: ServiceRef[];
  /** `services` as text ("shop/http, blog/https") for the SERVICES printer column; written by the controller. */
  serviceNames?: string;
}

export interface LBAddressStatus {
  node?: string;
  interface?: string;
  mac?: string;
  since?: string;
  lastGratuitous?: string;
  transitions?: number;
  conditions?: Condition[];
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface IPAddressPool {
  apiVersion?: string;
  kind?: 'IPAddressPool';
  metadata: ObjectMeta;
  spec: IPAddressPoolSpec;
  status?: IPAddressPoolStatus;
}

export interface L2Advertisement {
  apiVersion?: string;
  kind?: 'L2Advertisement';
  metadata: ObjectMeta;
  spec: L2AdvertisementSpec;
  status?: L2AdvertisementStatus;
}

export interface LBAddress {
  apiVersion?: string;
  kind?: 'LBAddress';
  metadata: ObjectMeta;
  spec: LBAddressSpec;
  status?: LBAddressStatus;
}
