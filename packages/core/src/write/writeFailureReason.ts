/**
 * Why a write to the Kubernetes API failed, as one word: the metric label
 * (`herald_controller_write_failures_total{reason}`), the log field and the Warning event's text all use it.
 * The array lets the metrics module pre-register every label value.
 */
export const WRITE_FAILURE_REASONS = [
  'Conflict', // 409: someone else changed the object, or it already exists
  'TooManyRequests', // 429: API priority and fairness pushed back; honour Retry-After
  'Unauthorized', // 401: token expired or not yet valid
  'Forbidden', // 403: RBAC does not allow the write
  'NotFound', // 404: the object is gone
  'Invalid', // 422: the apiserver refused the content
  'Rejected', // any other 4xx: the request itself is wrong
  'ServerError', // 5xx
  'Unreachable', // no HTTP answer at all: reset, timeout, DNS
] as const;

export type WriteFailureReason = (typeof WRITE_FAILURE_REASONS)[number];

/** The reason word for an HTTP status; `undefined` means no response arrived. */
export function writeFailureReason(code: number | undefined): WriteFailureReason {
  if (code === undefined || !Number.isInteger(code) || code < 400) return 'Unreachable';
  switch (code) {
    case 401: return 'Unauthorized';
    case 403: return 'Forbidden';
    case 404: return 'NotFound';
    case 409: return 'Conflict';
    case 422: return 'Invalid';
    case 429: return 'TooManyRequests';
  }
  return code >= 500 ? 'ServerError' : 'Rejected';
}
