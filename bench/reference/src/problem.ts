// Failures as `application/problem+json` (RFC 9457), in the shape ours sends
// (crates/tora-core/src/http/error.rs): a stable `type`, the request id and, where
// they apply, every failing field (422) or why a token was refused (401).

export interface FieldError {
  field: string;
  message: string;
}

const TITLES: Record<number, string> = {
  400: 'Malformed request body',
  401: 'Authentication required',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported media type',
  422: 'Invalid request',
  429: 'Too many requests',
  501: 'Not implemented',
  503: 'Service unavailable',
};

/** Thrown by handlers; `app.onError` renders it. */
export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly slug: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; reason?: string } = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(`${slug}: ${detail}`);
  }

  body(instance: string, requestId: string) {
    return {
      type: `urn:tora:problem:${this.slug}`,
      title: TITLES[this.status] ?? 'Internal error',
      status: this.status,
      detail: this.detail,
      instance,
      request_id: requestId,
      ...this.extra,
    };
  }
}

export const validation = (errors: FieldError[]) =>
  new Problem(422, 'validation-failed', `${errors.length} field${errors.length === 1 ? '' : 's'} failed validation.`, {
    errors,
  });

export const invalid = (field: string, message: string) => validation([{ field, message }]);

export const unauthenticated = (reason: string) =>
  new Problem(
    401,
    'unauthenticated',
    `Send a valid bearer token in the \`authorization\` header (${reason}).`,
    { reason },
    { 'www-authenticate': 'Bearer error="invalid_token"' },
  );

export const databaseUnavailable = () =>
  new Problem(
    503,
    'database-unavailable',
    'A service the API depends on is unavailable; try again shortly.',
    {},
    {
      'retry-after': '5',
    },
  );

export const internal = () => new Problem(500, 'internal', 'Something went wrong on our side; it has been logged.');

export const rateLimited = (retryAfterSecs: number) =>
  new Problem(
    429,
    'rate-limited',
    `Slow down; try again in ${retryAfterSecs} seconds.`,
    {},
    {
      'retry-after': String(retryAfterSecs),
    },
  );
