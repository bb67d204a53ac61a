import { table } from '../table.js';
import type { ExplainReport } from './explainReport.js';
import { paintWord, type Paint } from './paint.js';

/** The explain report for people: the answer first (address, pool, node), then the ranking and history. */
export function explainText(r: ExplainReport, p: Paint): string {
  const out: string[] = [p.bold(`Service ${r.service}`)];
  if (r.notHerald) {
    out.push(`  not herald's: ${paintWord(p, r.notHerald)}${r.notHerald === 'OtherClass' ? ' (its loadBalancerClass is not the one given with --lb-class)' : ''}`);
    return `${out.join('\n')}\n`;
  }
  const shown = r.assigned.shown;
  const planned = r.assigned.planned;
  out.push(`  AddressAssigned: ${shown ? `${paintWord(p, shown.reason)} (${shown.status}) since ${shown.since}: ${shown.message}` : 'not set yet'}`);
  if (planned && (!shown || planned.reason !== shown.reason || planned.message !== shown.message)) {
    out.push(`  planService now: ${paintWord(p, planned.reason)}: ${planned.message}`);
  }
  if (r.pool) out.push(`  Pool:            ${r.pool.name} (${r.pool.valid === false ? p.bad(r.pool.verdict) : r.pool.verdict}); chosen because ${r.pool.why}`);
  for (const a of r.addresses) {
    out.push('', p.bold(`Address ${a.address}`));
    out.push(`  Shared with:     ${a.sharedWith.length ? a.sharedWith.join(', ') : 'no other Service in this namespace'}`);
    const r = a.reported;
    out.push(`  Answered by:     ${r.node ? `${p.ok(r.node)} on ${r.interface} (${r.mac}) since ${r.since}, ${r.transitions} transition(s), as the speakers report` : `${p.bad('nobody')}${r.announced ? ` (speakers report ${r.announced})` : ''}`}`);
    out.push(a.owner ? `  Elected now:     ${a.owner.node} on ${a.owner.interface} (first in the ranking below)` : `  Elected now:     ${p.bad('nobody')}: ${paintWord(p, a.noOwnerReason ?? '')}: ${a.message}`);
    if (a.note) out.push(`  Note:            ${p.warn(a.note)}`);
    if (a.ranking.length) {
      out.push('  Ranking (sha256(node#address) ascending, draining nodes last):');
      out.push(...table(['RANK', 'NODE', 'INTERFACE', 'SHA256', 'DRAINING'], a.ranking.map((c) => [String(c.rank), c.node, c.interface, c.sha256, c.draining ? p.warn('yes') : 'no'])).map((l) => `    ${l}`));
    }
    if (a.excluded.length) {
      out.push('  Not candidates:');
      out.push(...table(['NODE', 'REASON', 'WHY'], a.excluded.map((x) => [x.node, paintWord(p, x.reason), x.why])).map((l) => `    ${l}`));
    }
  }
  out.push('', p.bold('Last transitions'));
  out.push(...(r.transitions.length ? table(['TIME', 'SOURCE', 'REASON', 'MESSAGE'], r.transitions.map((t) => [t.time, t.source, t.reason, t.message])).map((l) => `  ${l}`) : ['  none recorded']));
  return `${out.join('\n')}\n`;
}
