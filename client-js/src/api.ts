// REST calls to the Porthole gateway. Paths are relative so the app works under
// any base path the gateway serves it from.

export interface Connection {
  id: string;
  name: string;
  protocol: string;
}

export interface TokenResponse {
  token: string;
  username: string;
  expires_at?: string;
}

/** The server answered with an error status. `message` is the server's own text when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly retryAfterSeconds: number | null;
  constructor(status: number, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request never got an HTTP answer (server down, network gone). */
export class NetworkError extends Error {
  constructor() {
    super('Cannot reach the server. Check your network connection and try again.');
    this.name = 'NetworkError';
  }
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'Your sign-in is not valid. Sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const when = Date.parse(value);
  if (!Number.isNaN(when)) return Math.max(0, Math.ceil((when - Date.now()) / 1000));
  return null;
}

async function request<T>(method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }

  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new NetworkError();
  }

  const text = await res.text().catch(() => '');
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!res.ok) {
    const serverText =
      data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : '';
    throw new ApiError(
      res.status,
      serverText || fallbackMessage(res.status),
      parseRetryAfter(res.headers.get('Retry-After')),
    );
  }
  return data as T;
}

export function createToken(username: string, password: string): Promise<TokenResponse> {
  return request<TokenResponse>('POST', 'api/tokens', { body: { username, password } });
}

export function deleteToken(token: string): Promise<unknown> {
  return request('DELETE', 'api/tokens/current', { token });
}

export async function listConnections(token: string): Promise<Connection[]> {
  const data = await request<unknown>('GET', 'api/connections', { token });
  if (!Array.isArray(data)) return [];
  return data
    .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
    .map((c) => ({
      id: String(c.id ?? ''),
      name: typeof c.name === 'string' && c.name !== '' ? c.name : String(c.id ?? ''),
      protocol: typeof c.protocol === 'string' ? c.protocol : '',
    }))
    .filter((c) => c.id !== '');
}
