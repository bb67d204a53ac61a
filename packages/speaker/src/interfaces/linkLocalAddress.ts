import { readFileSync } from 'node:fs';
import type { IPAddress } from '@herald/core';

const SCOPE_LINK = 0x20;
// IFA_F_TENTATIVE (DAD still running), IFA_F_DADFAILED (a duplicate exists): neither may source MLD (RFC 3590 §4).
const NOT_VALID = 0x40 | 0x08;

/**
 * The first valid (not tentative, not failed DAD) link-local address of interface `ifindex`, from the
 * kernel's /proc/net/if_inet6 table of the process's network namespace ("address ifindex prefix scope flags
 * name", all hex). Undefined when it has none yet, or IPv6 is off on it.
 */
export function linkLocalAddress(ifindex: number, table: string = readIfInet6()): IPAddress | undefined {
  for (const line of table.split('\n')) {
    const [address, index, , scope, flags] = line.trim().split(/\s+/);
    if (!address || address.length !== 32 || !index || !scope || !flags) continue;
    if (parseInt(index, 16) !== ifindex || parseInt(scope, 16) !== SCOPE_LINK || (parseInt(flags, 16) & NOT_VALID) !== 0) continue;
    return { family: 6, value: BigInt(`0x${address}`) };
  }
  return undefined;
}

function readIfInet6(): string {
  try {
    return readFileSync('/proc/net/if_inet6', 'utf8');
  } catch {
    return ''; // IPv6 disabled in the kernel: no file, no address
  }
}
