import { CliError, EXIT } from './cliError.js';

/** "10s", "500ms", "1m" (kubectl's --request-timeout spelling), or a bare number of seconds, as milliseconds. */
export function durationMs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const n = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1_000) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`${flag} must be a duration such as 10s or 500ms, not "${text}"`, EXIT.usage);
  return Math.round(n);
}
