import type { SpeakerMetrics } from '../metrics.js';
import type { AnswerCount } from './answerThreadProtocol.js';

/** Adds one answering count to the speaker's registry, whichever thread counted it. */
export function countAnswer(metrics: SpeakerMetrics, [metric, label, n]: AnswerCount): void {
  if (metric === 'requestsReceived' || metric === 'repliesSent') metrics[metric].inc({ family: label }, n);
  else if (metric === 'ignored') metrics.ignored.inc({ reason: label }, n);
  else metrics.sendErrors.inc({ code: label }, n);
}
