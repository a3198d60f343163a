/**
 * Errors the server answers with: an HTTP status, a stable machine-readable code and a message
 * that says what was wrong and what to do. Everything else that escapes a handler is a 500.
 */

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    /** Stable code for clients, e.g. 'invalid_json', 'unknown_encoder', 'queue_full'. */
    readonly code: string,
    message: string,
    /** The request field at fault, when there is one. */
    readonly field?: string,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toJSON(): { error: { status: number; code: string; message: string; field?: string } } {
    return { error: { status: this.status, code: this.code, message: this.message, ...(this.field !== undefined ? { field: this.field } : {}) } };
  }
}

/** 422: the request parsed but a field's value is not acceptable. */
export function invalidField(field: string, message: string, code = 'invalid_field'): HttpError {
  return new HttpError(422, code, `${field}: ${message}`, field);
}
