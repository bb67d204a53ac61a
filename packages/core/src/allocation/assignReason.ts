/**
 * Why a Service has (or has no) address. One closed set: it is the `herald.dev/AddressAssigned` condition
 * reason, the metric label, the log event detail and the Event reason.
 */
export type AssignReason =
  | 'Assigned'
  | 'NoMatchingPool'
  | 'PoolExhausted'
  | 'RequestedAddressUnavailable'
  | 'SharingConflict'
  | 'InvalidRequest'
  | 'FamilyUnavailable';

/** Why an address a Service held was taken back. */
export type ReleaseReason = 'OutsidePools' | 'PoolIncompatible' | 'RequestChanged' | 'SharingConflict' | 'FamilyNotWanted';
