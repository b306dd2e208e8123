/**
 * One taxonomy for what a platform answered when we tried to send: each adapter maps its
 * own codes into these in one function, and the send worker maps these onto queue behaviour
 * in one place.
 */
import type { Logger } from 'pino';

export type SendFailureKind =
  /** Too many requests: wait `retryAfterMs`, then send again. */
  | 'rate_limited'
  /** The person blocked the bot or left: stop sending to this conversation. */
  | 'blocked'
  /** The platform refused this message (bad request, not found): retrying will not help. */
  | 'rejected'
  /**
   * The request never completed, the platform failed, or it refused our token (which the
   * operator fixes, see `configVariable`), or we do not know what happened: retry with back-off.
   */
  | 'network';

export class SendError extends Error {
  override readonly name = 'SendError';

  constructor(
    readonly kind: SendFailureKind,
    message: string,
    readonly retryAfterMs?: number,
    /** The setting the operator must fix before sends can succeed (a token the platform refused). */
    readonly configVariable?: string,
  ) {
    super(message);
  }
}

/** A failure the operator must fix is an error in the log naming the variable; the message never carries the token. */
export function logSendError(logger: Logger, err: SendError): void {
  if (err.configVariable) {
    logger.error({ variable: err.configVariable, err: err.message }, `the platform refused the bot token: fix ${err.configVariable}; sends are retried meanwhile`);
  }
}
