/**
 * Every reason herald has for not answering, or not believing, a frame. One closed list so that the metric
 * label, the log `event` detail and the tests all use the same word; the array exists so a metrics module
 * can pre-register every label value and a test can check coverage.
 */
export const WIRE_REASONS = [
  // Framing: the bytes are not a frame we can read.
  'TooShort',
  'NotArp',
  'VlanUnsupported',
  'HardwareTypeNotEthernet',
  'ProtocolTypeNotIPv4',
  'HardwareLengthNot6',
  'ProtocolLengthNot4',
  'UnknownArpOperation',
  'NotNeighborDiscovery',
  'HopLimitNot255',
  'CodeNotZero',
  'SourceMulticast',
  'TargetMulticast',
  'OptionLengthZero',
  'OptionTruncated',
  'LinkLayerOptionLength',
  'DadNotToSolicitedNode',
  'DadWithSourceLinkLayer',
  'SolicitedToMulticast',
  'MacMalformed',
  'NotIPv6',
  'NextHeaderNotIcmpv6',
  'ChecksumInvalid',
  'NotMld',
  'HopLimitNot1',
  'SourceNotLinkLocal',
  // Decisions: a readable frame that herald does not answer.
  'VlanTagged',
  'OwnFrame',
  'InvalidSenderMac',
  'NotRequest',
  'NotForUs',
  'NotOwner',
  'SourceOwned',
  'NoLinkLayerAddress',
] as const;

export type WireReason = (typeof WIRE_REASONS)[number];

/** `message` is for people and names the offending value; code branches on `reason` only. */
export interface WireError {
  readonly reason: WireReason;
  readonly message: string;
}

export const wireError = (reason: WireReason, message: string): WireError => ({ reason, message });
