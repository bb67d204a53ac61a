/**
 * MetalLB's configuration as plain data, as read from the API server or from YAML files: the
 * `metallb.io/v1beta1` (and `v1beta2` BGPPeer) objects and the pre-0.13 ConfigMap `config`. Fields are
 * loosely typed on purpose: input comes from another project's schema and every field is checked before use.
 */
export interface MetalLBObject {
  readonly apiVersion?: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: Readonly<Record<string, unknown>>;
  /** Where an object not read as itself came from (a legacy ConfigMap entry), for messages and annotations. */
  readonly origin?: string;
}

/** One entry of `address-pools` in the legacy ConfigMap (`v0.12.1:internal/config/config.go`). */
export interface LegacyAddressPool {
  readonly name?: unknown;
  readonly protocol?: unknown;
  readonly addresses?: unknown;
  readonly 'auto-assign'?: unknown;
  readonly 'avoid-buggy-ips'?: unknown;
  readonly 'bgp-advertisements'?: unknown;
}

/** The YAML document under the legacy ConfigMap's `config` key. */
export interface LegacyConfig {
  readonly 'address-pools'?: readonly LegacyAddressPool[];
  readonly peers?: readonly unknown[];
  readonly 'bgp-communities'?: Readonly<Record<string, unknown>>;
  readonly 'bfd-profiles'?: readonly unknown[];
}

export const METALLB_GROUP = 'metallb.io';

/** The MetalLB kinds that mean BGP; herald announces only on layer 2. */
export const METALLB_BGP_KINDS = ['BGPAdvertisement', 'BGPPeer', 'BFDProfile', 'Community'] as const;
