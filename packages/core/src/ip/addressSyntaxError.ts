/**
 * Why a piece of address text was refused. The reason is a closed set so that pool conditions, CLI output
 * and logs can all key off the same word; `message` is for people and always quotes the input.
 */
export type AddressSyntaxReason =
  | 'Empty'
  | 'Whitespace'
  | 'ZoneNotAllowed'
  | 'LeadingZero'
  | 'Malformed'
  | 'PrefixOutOfRange'
  | 'HostBitsSet'
  | 'ReversedRange'
  | 'MixedFamilies';

export interface AddressSyntaxError {
  readonly reason: AddressSyntaxReason;
  readonly input: string;
  readonly message: string;
}

export function addressSyntaxError(reason: AddressSyntaxReason, input: string, why: string): AddressSyntaxError {
  return { reason, input, message: `Cannot parse address ${JSON.stringify(input)}: ${why}` };
}
