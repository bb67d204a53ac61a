import { readFileSync } from 'node:fs';

/** Shorter keys are refused: HMAC-SHA256 with a guessable key authenticates nothing. */
export const MIN_HEARTBEAT_KEY_BYTES = 16;

/**
 * The heartbeat HMAC key: the raw bytes of a file (in Kubernetes, key `secretkey` of Secret
 * `herald-memberlist` mounted as a file). Every speaker reads the same Secret, so the bytes are used as
 * they are, trailing newline included. Throws with the path and the reason: a speaker without a usable
 * key must not start.
 */
export function loadHeartbeatKey(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`Cannot read the heartbeat key from ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (bytes.length < MIN_HEARTBEAT_KEY_BYTES) {
    throw new Error(`Cannot use the heartbeat key in ${path}: it has ${bytes.length} bytes; at least ${MIN_HEARTBEAT_KEY_BYTES} are needed`);
  }
  return new Uint8Array(bytes);
}
