/** JSON Schemas shared by the routes (request validation and the OpenAPI document). */

export const id = { type: 'integer', minimum: 1, maximum: 4294967295 } as const;
export const deviceId = { type: 'string', pattern: '^[0-9a-f]{16}$', description: '16 lowercase hex characters' } as const;
export const isoTime = { type: 'string', format: 'date-time' } as const;
export const nullableString = { type: ['string', 'null'] } as const;
export const nullableInt = { type: ['integer', 'null'] } as const;

export const window = {
  type: 'object', additionalProperties: false, required: ['start', 'end'],
  properties: { start: isoTime, end: isoTime }
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id } } as const;
export const deviceParams = { type: 'object', required: ['id'], properties: { id: deviceId } } as const;
export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

/** An owner statement is at most 95 + 160 bytes (docs/protocol.md §11.1), sent as hex. */
const MAX_STATEMENT_HEX = 2 * (95 + 160);
/** The body carrying an owner-signed statement, byte for byte in hex. */
export const ownerStatementBody = {
  type: 'object', additionalProperties: false, required: ['statement'],
  properties: { statement: { type: 'string', pattern: '^([0-9a-f]{2})+$', maxLength: MAX_STATEMENT_HEX } }
} as const;

export const idempotencyHeaders = (required: boolean) => ({
  type: 'object',
  ...(required ? { required: ['idempotency-key'] } : {}),
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:-]+$' } }
}) as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
        mayHaveRun: { type: 'boolean' }
      }
    }
  }
} as const;

/** Loose object response: documented, serialized as is. */
export const anyObject = (description: string) => ({ type: 'object', additionalProperties: true, description }) as const;

export const errors = { '4xx': { $ref: 'Error#' }, '5xx': { $ref: 'Error#' } } as const;

export function ok(description: string, status = 200) {
  return { [status]: anyObject(description), ...errors };
}

export const bearer = [{ bearer: [] as string[] }];
