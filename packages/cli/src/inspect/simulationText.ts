import { table } from '../table.js';
import { paintWord, type Paint } from './paint.js';
import type { SimulationReport } from './nodeChange.js';

/** The moves a simulated drain or add would cause, for people. */
export function simulationText(r: SimulationReport, p: Paint): string {
  const out = [p.bold(`If you ${r.change}: ${r.moves.length} of ${r.addresses} address(es) move, ${r.unchanged} stay (nothing was changed)`)];
  if (r.moves.length) out.push(...table(['ADDRESS', 'SERVICES', 'FROM', 'TO', 'REASON'], r.moves.map((m) => [m.address, m.services.join(','), m.from || '-', m.to || p.bad('nobody'), m.reason ? paintWord(p, m.reason) : ''])));
  for (const a of r.assumptions) out.push(`assumed: ${a}`);
  return `${out.join('\n')}\n`;
}
