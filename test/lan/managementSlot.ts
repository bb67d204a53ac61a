import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE_DIR } from '../harnessState.js';
import { MANAGEMENT_SLOTS } from './addressPlan.js';
import { isAlive } from '../processes.js';


/** Takes one of the management /28s for a LAN; mkdir is the atomic lock, a dead owner's slot is reclaimed. */
export function acquireManagementSlot(): { slot: number; release: () => void } {
  mkdirSync(STATE_DIR, { recursive: true });
  for (let pass = 0; pass < 2; pass++) {
    for (let slot = 0; slot < MANAGEMENT_SLOTS; slot++) {
      const dir = join(STATE_DIR, `mgmt-slot-${slot}`);
      try {
        mkdirSync(dir);
      } catch {
        if (pass === 0) continue;
        let owner = 0;
        try { owner = Number(readFileSync(join(dir, 'owner'), 'utf8')); } catch { /* half-made */ }
        if (owner && isAlive(owner)) continue;
        rmSync(dir, { recursive: true, force: true });
        try { mkdirSync(dir); } catch { continue; }
      }
      writeFileSync(join(dir, 'owner'), String(process.pid));
      return { slot, release: () => rmSync(dir, { recursive: true, force: true }) };
    }
  }
  throw new Error(`all ${MANAGEMENT_SLOTS} management slots are taken by live LANs`);
}
