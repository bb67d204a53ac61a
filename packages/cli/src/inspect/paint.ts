/** ANSI colour for a TTY, or plain text: `--no-color`, NO_COLOR, or output that is not a terminal. */
export interface Paint {
  ok(text: string): string;
  warn(text: string): string;
  bad(text: string): string;
  bold(text: string): string;
}

const wrap = (code: string) => (text: string) => (text ? `\x1b[${code}m${text}\x1b[0m` : text);
export const PLAIN: Paint = { ok: (t) => t, warn: (t) => t, bad: (t) => t, bold: (t) => t };
export const ANSI: Paint = { ok: wrap('32'), warn: wrap('33'), bad: wrap('31'), bold: wrap('1') };

export function choosePaint(o: { noColor: boolean; isTTY: boolean; env: Readonly<Record<string, string | undefined>> }): Paint {
  return o.noColor || !o.isTTY || (o.env.NO_COLOR ?? '') !== '' ? PLAIN : ANSI;
}

/** Words the tables colour: good states green, passing states yellow, everything else in a reason column red. */
const GOOD = new Set(['Ready', 'Valid', 'Assigned', 'Announcing', 'True', 'Healthy']);
const PASSING = new Set(['Draining', 'Starting', 'Unknown', 'AwaitingSpeaker', 'NoSpeaker', 'Joining', 'SomePeersUnheard']);
export function paintWord(p: Paint, word: string): string {
  if (word === '') return word;
  return GOOD.has(word) ? p.ok(word) : PASSING.has(word) ? p.warn(word) : p.bad(word);
}
