/**
 * Protocol version and the limits and WebSocket close codes both ends agree on.
 * Close codes 4000–4999 are ours (RFC 6455 leaves them to applications).
 */
export const PROTOCOL_VERSION = 1;

/** Largest text frame either end accepts; bigger frames close the socket with TOO_BIG. */
export const MAX_FRAME_BYTES = 256 * 1024;

/**
 * Longest wait between a runner's reconnection tries. The control plane relies on it: after its
 * own outage it gives held leases this long (plus a lease) for their runners to come back.
 */
export const MAX_RECONNECT_DELAY_MS = 30_000;

/** Most attempts a runner may list as held in `hello` / `heartbeat` (running + unacked reports). */
export const MAX_HELD_ATTEMPTS = 1000;
/** Comments of the issue sent with an assignment (its latest ones); older ones are summarized by the prompt. */
export const MAX_ASSIGN_COMMENTS = 50;

/** Most events one `task.events` frame may carry. */
export const MAX_EVENTS_PER_FRAME = 200;

export const CloseCode = {
  normal: 1000,
  /** RFC 6455: message too big. */
  tooBig: 1009,
  /** A frame did not parse or failed validation. */
  protocolError: 4400,
  /** The token is missing, wrong or revoked. Not retryable. */
  unauthorized: 4401,
  /** The peer speaks a protocol version we do not. Not retryable. */
  unsupportedVersion: 4426,
  /** Another process connected with the same runner id. Not retryable. */
  replaced: 4409,
  /** The control plane is shutting the connection for maintenance; reconnect. */
  goingAway: 1001,
} as const;

/** Close codes after which a runner must stop instead of reconnecting. */
export const UNRECOVERABLE_CLOSE_CODES: readonly number[] = [
  CloseCode.unauthorized,
  CloseCode.unsupportedVersion,
  CloseCode.replaced,
];

/** Text frame that the control plane answers with PONG_FRAME without waking the Durable Object. */
export const PING_FRAME = "ping";
export const PONG_FRAME = "pong";
