/**
 * The outcome a request log line reports, read from what the caller got: the
 * relay answers errors with HTTP 200, so the status alone says nothing.
 */

interface WireBody {
  errors?: { type?: unknown; code?: unknown }[];
}

/** `ok`, the code of the first fatal error in the envelope, or the HTTP status for 404/405/…. */
export async function outcomeOf(res: Response): Promise<string> {
  if (res.status !== 200) return String(res.status);
  if (!res.headers.get('content-type')?.includes('json')) return 'ok';
  let body: WireBody;
  try {
    body = (await res.clone().json()) as WireBody;
  } catch {
    return 'ok';
  }
  const fatal = Array.isArray(body?.errors) ? body.errors.find((e) => e?.type !== 'warning') : undefined;
  return fatal === undefined ? 'ok' : typeof fatal.code === 'string' ? fatal.code : 'unknown';
}
