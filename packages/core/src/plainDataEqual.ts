/**
 * Deep equality of plain data (what JSON can carry, plus bigint), as `JSON.stringify(a) ===
 * JSON.stringify(b)` answers it for such data but without building the two strings: comparing facts on
 * every watch event that way made garbage in proportion to the facts compared (thousands of addresses
 * per hand-over), and garbage is what brings a major collection nearer (ADR 0012). Key order does not
 * matter; a property whose value is undefined counts as absent, as in JSON; the same object is equal to
 * itself without looking inside, so unchanged facts shared by reference cost one comparison.
 */
export function plainDataEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const list = Array.isArray(a);
  if (list !== Array.isArray(b)) return false;
  if (list) {
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!plainDataEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Readonly<Record<string, unknown>>;
  const y = b as Readonly<Record<string, unknown>>;
  let keys = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    keys++;
    if (!plainDataEqual(v, y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) keys--;
  return keys === 0;
}
