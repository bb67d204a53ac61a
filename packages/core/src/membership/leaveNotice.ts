import type { LeftNotice } from './swimMessage.js';

/** What a member holds for a node when a leave notice about it arrives (its entry, or nothing). */
export interface HeldNode {
  readonly incarnation: number;
  readonly version: number;
  readonly dead: boolean;
  readonly left: boolean;
}

/**
 * What a leave notice is to a member (docs/adr/0012-scalable-membership.md, Leaving):
 * - `News`: record the node Left and pass the notice on;
 * - `Known`: already held Left at this version or later;
 * - `Stale`: the member holds a newer process or state of the node (a restart, or state the node
 *   published after the notice): the node runs, the notice is ignored;
 * - `Unknown`: a node the member has never heard of: nothing to take out of any view.
 */
export type LeaveJudgement = 'News' | 'Known' | 'Stale' | 'Unknown';

/**
 * Orders a leave notice against what is held, like every notice (incarnation, then version), with Left
 * beating Dead and State at the same (incarnation, version): the leaver bumps its version as it leaves,
 * so a death declared by a peer that never read the notice (an older herald, or a lost copy) is at an
 * older version and cannot turn Left into Dead; a restarted node (larger incarnation) wins over Left.
 */
export function judgeLeave(held: HeldNode | undefined, n: LeftNotice): LeaveJudgement {
  if (!held) return 'Unknown';
  if (n.incarnation !== held.incarnation) return n.incarnation > held.incarnation ? 'News' : 'Stale';
  if (held.left) return n.version > held.version ? 'News' : 'Known';
  return n.version >= held.version ? 'News' : 'Stale';
}
