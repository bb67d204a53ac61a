import { createHash } from 'node:crypto';

/**
 * The owner of `ip` among `nodes` by the DESIGN.md rule (sha256(node#ip) ascending), computed here
 * independently of the speaker's code so the tests check the rule, not the implementation.
 */
export const expectedOwner = (nodes: readonly string[], ip: string): string =>
  [...nodes].sort((a, b) => Buffer.compare(createHash('sha256').update(`${a}#${ip}`).digest(), createHash('sha256').update(`${b}#${ip}`).digest()))[0]!;
