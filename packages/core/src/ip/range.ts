import { err, ok, type Result } from '../result.js';
import { familyBits, familyMax, formatAddress, parseAddress, type Family, type IPAddress } from './address.js';
import { addressSyntaxError, type AddressSyntaxError } from './addressSyntaxError.js';

/** A closed interval of addresses of one family: [first, last]. */
export interface IPRange {
  readonly family: Family;
  readonly first: bigint;
  readonly last: bigint;
}

export const rangeSize = (r: IPRange): bigint => r.last - r.first + 1n;
export const rangeOf = (a: IPAddress): IPRange => ({ family: a.family, first: a.value, last: a.value });

function parseCidr(text: string): Result<IPRange, AddressSyntaxError> {
  const slash = text.indexOf('/');
  const addressText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const address = parseAddress(addressText);
  if (!address.ok) return err({ ...address.error, input: text, message: address.error.message.replace(JSON.stringify(addressText), JSON.stringify(text)) });
  const bits = familyBits(address.value.family);
  if (!/^(0|[1-9][0-9]*)$/.test(prefixText)) {
    const reason = /^0[0-9]+$/.test(prefixText) ? 'LeadingZero' : 'Malformed';
    return err(addressSyntaxError(reason, text, `prefix length "${prefixText}" is not a plain number`));
  }
  const prefix = Number(prefixText);
  if (prefix > bits) {
    return err(addressSyntaxError('PrefixOutOfRange', text, `prefix length ${prefix} is longer than ${bits} bits`));
  }
  const hostBits = BigInt(bits - prefix);
  const hostMask = (1n << hostBits) - 1n;
  const { family, value } = address.value;
  if ((value & hostMask) !== 0n) {
    const network = formatAddress({ family, value: value & ~hostMask & familyMax(family) });
    return err(addressSyntaxError('HostBitsSet', text, `host bits are set; the network is ${network}/${prefix}`));
  }
  return ok({ family, first: value, last: value | hostMask });
}

function parseDashRange(text: string): Result<IPRange, AddressSyntaxError> {
  const parts = text.split('-');
  if (parts.length !== 2) return err(addressSyntaxError('Malformed', text, 'a range is "first-last"'));
  const [a, b] = parts.map(parseAddress) as [Result<IPAddress, AddressSyntaxError>, Result<IPAddress, AddressSyntaxError>];
  if (!a.ok) return err({ ...a.error, input: text, message: `Cannot parse address range ${JSON.stringify(text)}: ${a.error.message}` });
  if (!b.ok) return err({ ...b.error, input: text, message: `Cannot parse address range ${JSON.stringify(text)}: ${b.error.message}` });
  if (a.value.family !== b.value.family) {
    return err({ reason: 'MixedFamilies', input: text, message: `Cannot parse address range ${JSON.stringify(text)}: start and end are of different IP families` });
  }
  if (a.value.value > b.value.value) {
    return err({ reason: 'ReversedRange', input: text, message: `Cannot parse address range ${JSON.stringify(text)}: start is after end` });
  }
  return ok({ family: a.value.family, first: a.value.value, last: b.value.value });
}

/** Parses a CIDR ("192.0.2.0/28"), a single address ("2001:db8::1") or a range ("192.0.2.10-192.0.2.20"). */
export function parseRange(text: string): Result<IPRange, AddressSyntaxError> {
  if (text.length === 0) return err(addressSyntaxError('Empty', text, 'empty text'));
  if (/\s/.test(text)) return err(addressSyntaxError('Whitespace', text, 'whitespace is not allowed'));
  if (text.includes('/')) return parseCidr(text);
  if (text.includes('-')) return parseDashRange(text);
  const a = parseAddress(text);
  return a.ok ? ok(rangeOf(a.value)) : a;
}

/** The prefix length if the range is exactly one CIDR block, else undefined. */
export function cidrPrefix(r: IPRange): number | undefined {
  const size = rangeSize(r);
  if ((size & (size - 1n)) !== 0n) return undefined;
  if ((r.first & (size - 1n)) !== 0n) return undefined;
  let hostBits = 0;
  while (1n << BigInt(hostBits) < size) hostBits++;
  return familyBits(r.family) - hostBits;
}

/** Canonical text: one address as itself, an aligned block as CIDR, anything else as "first-last". */
export function formatRange(r: IPRange): string {
  const first = formatAddress({ family: r.family, value: r.first });
  if (r.first === r.last) return first;
  const prefix = cidrPrefix(r);
  if (prefix !== undefined) return `${first}/${prefix}`;
  return `${first}-${formatAddress({ family: r.family, value: r.last })}`;
}
