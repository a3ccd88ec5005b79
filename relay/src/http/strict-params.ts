/**
 * Path and query values arrive as strings. The API validates without type coercion, so a
 * JSON body's `{"name": 123}` is a 400, not the string "123". For path and query parameters
 * declared as integers or booleans, only the canonical text is converted first: decimal
 * digits without sign, leading zeros, exponent or hex prefix ("12", not "012", "0x1",
 * "1e1" or " 1"), and exactly "true" / "false". Anything else stays a string and fails
 * validation with 400 KW_VALIDATION.
 */

const CANONICAL_INTEGER = /^(0|-?[1-9][0-9]{0,15})$/;

interface PropertySchema {
  type?: string | readonly string[];
}

interface ObjectSchema {
  properties?: Record<string, PropertySchema>;
}

function declares(schema: PropertySchema, type: string): boolean {
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type));
}

/** Converts, in place, the canonical integer and boolean strings the schema declares. */
export function convertCanonicalScalars(schema: unknown, values: unknown): void {
  const properties = (schema as ObjectSchema | undefined)?.properties;
  if (!properties || values === null || typeof values !== 'object') return;
  const record = values as Record<string, unknown>;
  for (const [name, prop] of Object.entries(properties)) {
    const raw = record[name];
    if (typeof raw !== 'string') continue;
    if (declares(prop, 'integer') && CANONICAL_INTEGER.test(raw)) record[name] = Number(raw);
    else if (declares(prop, 'boolean') && (raw === 'true' || raw === 'false')) record[name] = raw === 'true';
  }
}

/** The request fields `normalizeRequest` reads and writes (a Fastify request has them). */
interface NormalizableRequest {
  method: string;
  body: unknown;
  params: unknown;
  query: unknown;
  routeOptions: { schema?: { params?: unknown; querystring?: unknown } };
}

/**
 * The preValidation hook every request runs: a POST without a body validates as {} (routes with
 * required fields still reject it), and canonical path and query scalars are converted. A
 * callback hook, without the promise and microtask turns of an async one; `routeOptions` is a
 * getter that builds an object, so it is read once.
 */
export function normalizeRequest(req: NormalizableRequest, _reply: unknown, done: () => void): void {
  if (req.method !== 'GET' && req.method !== 'HEAD' && (req.body === undefined || req.body === null)) req.body = {};
  const schema = req.routeOptions.schema;
  if (schema) {
    convertCanonicalScalars(schema.params, req.params);
    convertCanonicalScalars(schema.querystring, req.query);
  }
  done();
}
