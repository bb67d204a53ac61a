/** ANSI SGR sequences (colour), which take no room on the terminal. */
export const ANSI_SGR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Printed width of a cell: ANSI colour codes take no room. */
const width = (cell: string): number => cell.replace(ANSI_SGR, '').length;

/** Rows aligned in columns, kubectl style (two spaces between columns, the last column unpadded). Cells may be coloured. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - width(c)))).join('  ').trimEnd());
}
