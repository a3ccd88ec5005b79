/**
 * The relay's one registry of error codes (docs/conventions.md#errors, after Fastify's errors.js): each
 * stable machine code has an HTTP status and a message. Error bodies are
 * `{ error: { code, message, details?, mayHaveRun? } }`. docs/relay-api.md lists the same
 * table and tests/relay/errors-doc.test.ts keeps the two in step.
 *
 * `mayHaveRun` is set on codes returned by routes that send a command to a lock: it says
 * whether the lock may have acted even though the request did not succeed.
 */

export interface ErrorInfo {
  readonly status: number;
  readonly message: string;
  /** For lock-command routes: whether the command may have run despite this error. */
  readonly mayHaveRun?: boolean;
}

function e(status: number, message: string, mayHaveRun?: boolean): ErrorInfo {
  return mayHaveRun === undefined ? { status, message } : { status, message, mayHaveRun };
}

export const ERRORS = {
  KW_VALIDATION: e(400, 'The request does not match the schema.'),
  KW_BAD_JSON: e(400, 'The request body is not valid JSON.'),
  KW_IDEMPOTENCY_KEY_REQUIRED: e(400, 'This route requires an Idempotency-Key header.'),
  KW_BAD_TIMEZONE: e(400, 'Unknown IANA time zone.'),
  KW_BAD_WINDOW: e(400, 'The time window is empty, reversed or too long.'),
  KW_BAD_SCHEDULE: e(400, 'The weekly schedule is invalid.'),
  KW_CLIP_INVALID: e(400, 'A clip needs 1 to 16 frames, each a PNG or JPEG image within the size limit.'),
  KW_WEBHOOK_TARGET: e(400, 'The webhook URL points at a loopback, link-local, private or unspecified address.'),
  KW_PUSH_TARGET: e(400, 'The ntfy URL points at a loopback, link-local, private or unspecified address.'),
  KW_OWNER_STATEMENT_INVALID: e(400, 'Not an owner statement for this lock or grant (layout, version, device, key, action or grant bytes); nothing was sent to the lock.', false),
  KW_UNAUTHORIZED: e(401, 'Missing, unknown, expired or revoked credentials.'),
  KW_LOGIN_FAILED: e(401, 'Unknown e-mail address or wrong password.'),
  KW_FORBIDDEN: e(403, 'These credentials may not use this route (kind or scope).'),
  KW_OUTSIDE_WINDOW: e(403, 'Now is outside the allowed time window.', false),
  KW_OUTSIDE_SCHEDULE: e(403, 'Now is outside the weekly schedule.', false),
  KW_IN_HOME_NOT_ALLOWED: e(403, 'The site or the delivery does not allow in-home delivery.', false),
  KW_CONSENT_REQUIRED: e(403, 'The lock is in owner-consent mode and no standing consent of the owner covers this partner and window; nothing was booked and the owner was told.', false),
  KW_DELIVERY_BLOCKED: e(403, 'The owner blocked this delivery.', false),
  KW_GRANT_REVOKED: e(403, 'The grant was revoked.', false),
  KW_USES_EXHAUSTED: e(403, 'The grant has no uses left.', false),
  KW_NOT_FOUND: e(404, 'No such object, or it is not yours.'),
  KW_ROUTE_NOT_FOUND: e(404, 'No such route.'),
  KW_CONFLICT: e(409, 'The request conflicts with the current state.'),
  KW_DELIVERY_CANCELLED: e(409, 'The delivery was cancelled.', false),
  KW_DELIVERY_CLOSED: e(409, 'The delivery is already completed.', false),
  KW_GRANT_NOT_STAGED: e(409, 'The grant has not reached the lock yet.', false),
  KW_DEVICE_CLAIMED: e(409, 'The device is registered to another site.'),
  KW_REREGISTER_NEEDS_PROOF: e(409, 'The lock is already registered: put it in install mode (hold the inside button 5 s, lock online) or have the owner approve the re-registration.', false),
  KW_PARTNER_WITHDRAWN: e(403, 'The site owner withdrew this delivery partner.', false),
  KW_CLIP_EXISTS: e(409, 'The frames of this capture were already uploaded; a clip is written once.', false),
  KW_NO_LOCK: e(409, 'The site has no suitable lock registered.'),
  KW_IDEMPOTENCY_CONFLICT: e(409, 'The Idempotency-Key was used with a different request.', false),
  KW_IDEMPOTENCY_IN_PROGRESS: e(409, 'A request with this Idempotency-Key is still running.', false),
  KW_ENTRY_DENIED: e(409, 'The lock refused the request; details.reason says why.', false),
  KW_PAYLOAD_TOO_LARGE: e(413, 'The request body is too large.'),
  KW_UNSUPPORTED_MEDIA: e(415, 'Unsupported content type; send application/json.'),
  KW_RATE_LIMITED: e(429, 'Too many failed attempts from this address or for this account; wait Retry-After seconds.'),
  KW_INTERNAL: e(500, 'Internal error.'),
  KW_DATA_KEY_INVALID: e(500, "The relay's data key is unusable (a key file others can read, or not 32 bytes in base64); the relay did not start and created nothing."),
  KW_STORE_UNSUPPORTED: e(501, 'This operation still runs on the embedded SQLite store only; nothing was changed.'),
  KW_LOCK_FAULT: e(502, 'The lock reported a fault while acting (jam, motor); the bolt may have moved.', true),
  KW_LOCK_OFFLINE: e(503, 'The lock is offline.', false),
  KW_CAMERA_UNHEALTHY: e(503, 'The lock reports its camera unhealthy; entry needs evidence.', false),
  KW_LOCK_UNAVAILABLE: e(503, 'The lock is jammed, locked out or busy.', false),
  KW_SHUTTING_DOWN: e(503, 'The relay is shutting down; nothing was sent to the lock.', false),
  KW_ENTRY_TIMEOUT: e(504, 'No answer from the lock in time; the command may have run. Do not retry blindly.', true)
} as const satisfies Record<string, ErrorInfo>;

export type ErrorCode = keyof typeof ERRORS;

export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, details?: Record<string, unknown>, message?: string) {
    super(message ?? ERRORS[code].message);
    this.name = 'RelayError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
}

export function relayError(code: ErrorCode, details?: Record<string, unknown>, message?: string): RelayError {
  return new RelayError(code, details, message);
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown>; mayHaveRun?: boolean };
}

export function errorBody(err: RelayError): ErrorBody {
  const info: ErrorInfo = ERRORS[err.code];
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  if (info.mayHaveRun !== undefined) body.error.mayHaveRun = info.mayHaveRun;
  return body;
}
