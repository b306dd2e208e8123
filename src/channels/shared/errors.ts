/**
 * One taxonomy for what a platform answered when we tried to send: each adapter maps its
 * own codes into these, and the send worker maps these onto queue behaviour in one place.
 */
export type SendFailureKind =
  /** Too many requests: wait `retryAfterMs`, then send again. */
  | 'rate_limited'
  /** The person blocked the bot or left: stop sending to this conversation. */
  | 'blocked'
  /** The platform refused this message (bad request, not found): retrying will not help. */
  | 'rejected'
  /** The request never completed or the platform failed: retry later. */
  | 'network';

export class SendError extends Error {
  override readonly name = 'SendError';

  constructor(
    readonly kind: SendFailureKind,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
