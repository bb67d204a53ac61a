/** Exit codes of kubectl-herald, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** The API server could not be reached, refused the request, or a write failed. */
  failed: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** `migrate --strict`: something could not be migrated as it was. */
  incomplete: 3,
  /** `status`: something is wrong (invalid pool, speaker dead or not ready, address without owner, Service without address). */
  problems: 4,
} as const;

/** An expected failure with a message for a person; main prints it and exits with `exitCode`. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'CliError';
  }
}
