/**
 * Why a piece of MetalLB configuration was not carried over as it was. One closed union: the same words
 * appear in `kubectl herald migrate` output (people and `-o json`), in its exit code decision and in the
 * docs table, never re-worded.
 */
export type MigrationReason =
  /** BGPAdvertisement, BGPPeer, BFDProfile, Community, a legacy `protocol: bgp` pool or `peers`: herald is layer 2 only. */
  | 'BGPNotSupported'
  /** A pool that only BGPAdvertisements announce; under herald its addresses would be assigned but never announced. */
  | 'BGPOnlyPool'
  /** A field herald has no equivalent for; the object is migrated without it. */
  | 'UnsupportedField'
  /** A name that is not a valid Kubernetes object name; herald does not rename pools that Services may name. */
  | 'InvalidName'
  /** An address entry that neither MetalLB's nor herald's syntax accepts; the pool is not migrated. */
  | 'InvalidAddress'
  /** Two objects of one kind with the same name (herald's objects are cluster-scoped). */
  | 'DuplicateName'
  /** Spaces removed from a range ("192.0.2.10 - 192.0.2.20"): herald refuses them, MetalLB trimmed them. */
  | 'WhitespaceRemoved'
  /** A CIDR with host bits set ("192.0.2.1/24"): MetalLB used the network, herald needs it written so. */
  | 'HostBitsCleared'
  /** A Service holds an address that no migrated pool contains: herald's controller would release it. */
  | 'AddressOutsidePools'
  /** A Service's address-pool annotation names a pool that is not migrated. */
  | 'PoolNotMigrated'
  /** The object kind is not MetalLB configuration that migrate understands. */
  | 'UnknownKind';

/** `skipped`: nothing of it is written. `changed`: written, but not exactly as MetalLB had it. `atRisk`: a Service whose address would move. */
export type MigrationAction = 'skipped' | 'changed' | 'atRisk';

export interface MigrationFinding {
  readonly action: MigrationAction;
  readonly reason: MigrationReason;
  /** What the finding is about, as `Kind namespace/name` or `Service namespace/name`. */
  readonly object: string;
  readonly detail: string;
}

/**
 * Whether `--strict` fails on a finding: anything not migrated, any Service whose address would move, and
 * any dropped field (it changes behaviour). Syntax rewrites that keep the meaning (spaces, host bits) do not.
 */
export const failsStrict = (f: MigrationFinding): boolean => f.action !== 'changed' || f.reason === 'UnsupportedField';
