// Guacamole status codes (wire spec §3.3) turned into sentences for people.
//
// The library reports a numeric code through `client.onerror` / `tunnel.onerror`,
// sometimes with a terse server message ("Aborted. See logs."). Users get one of
// these sentences instead; the server text and the code stay available as detail.
// Some codes mean something different to the person who started a session ("owner")
// and to someone watching it through a share link or as an administrator ("viewer").

export type Role = 'owner' | 'viewer';

export const Code = {
  SUCCESS: 0x0000,
  UNSUPPORTED: 0x0100,
  SERVER_ERROR: 0x0200,
  SERVER_BUSY: 0x0201,
  UPSTREAM_TIMEOUT: 0x0202,
  UPSTREAM_ERROR: 0x0203,
  RESOURCE_NOT_FOUND: 0x0204,
  RESOURCE_CONFLICT: 0x0205,
  RESOURCE_CLOSED: 0x0206,
  UPSTREAM_NOT_FOUND: 0x0207,
  UPSTREAM_UNAVAILABLE: 0x0208,
  SESSION_CONFLICT: 0x0209,
  SESSION_TIMEOUT: 0x020a,
  SESSION_CLOSED: 0x020b,
  CLIENT_BAD_REQUEST: 0x0300,
  CLIENT_UNAUTHORIZED: 0x0301,
  CLIENT_FORBIDDEN: 0x0303,
  CLIENT_TIMEOUT: 0x0308,
  CLIENT_OVERRUN: 0x030d,
  CLIENT_BAD_TYPE: 0x030f,
  CLIENT_TOO_MANY: 0x031d,
} as const;

const MESSAGES: Record<number, string> = {
  [Code.UNSUPPORTED]: 'The server does not support this operation.',
  [Code.SERVER_ERROR]: 'The server hit an internal error. Try again in a moment.',
  [Code.SERVER_BUSY]: 'Porthole is busy or restarting. Try again in a moment.',
  [Code.UPSTREAM_TIMEOUT]: 'The remote desktop is not responding.',
  [Code.UPSTREAM_ERROR]: 'The remote desktop reported an error.',
  [Code.RESOURCE_NOT_FOUND]: 'This connection does not exist (any more).',
  [Code.RESOURCE_CONFLICT]: 'This connection is already in use.',
  [Code.RESOURCE_CLOSED]: 'This connection has already been closed.',
  [Code.UPSTREAM_NOT_FOUND]: 'The remote desktop could not be found or reached.',
  [Code.UPSTREAM_UNAVAILABLE]: 'The remote desktop refused the connection.',
  [Code.SESSION_CONFLICT]: 'This session was taken over by another session.',
  [Code.SESSION_TIMEOUT]: 'This session was ended because it was idle for too long.',
  [Code.SESSION_CLOSED]: 'This session was ended by an administrator or by the remote desktop.',
  [Code.CLIENT_BAD_REQUEST]: 'The connection request was invalid.',
  [Code.CLIENT_UNAUTHORIZED]: 'You are not signed in, or your sign-in has expired.',
  [Code.CLIENT_FORBIDDEN]: 'You are not allowed to use this connection.',
  [Code.CLIENT_TIMEOUT]: 'This browser took too long to respond, so the connection was closed.',
  [Code.CLIENT_OVERRUN]: 'This browser sent more data than the server accepts.',
  [Code.CLIENT_BAD_TYPE]: 'This browser sent data of a type the server does not accept.',
  [Code.CLIENT_TOO_MANY]: 'Too many sessions are open. Close one and try again.',
};

const VIEWER_MESSAGES: Record<number, string> = {
  [Code.RESOURCE_NOT_FOUND]: 'This share link is no longer valid.',
  [Code.SESSION_CLOSED]: 'The shared session has ended.',
  [Code.CLIENT_TIMEOUT]: 'Your connection could not keep up with the session, so it was closed.',
  [Code.CLIENT_UNAUTHORIZED]: 'Your sign-in has expired. Reconnect to watch without signing in, or sign in again.',
};

/** A sentence describing a Guacamole status code; never empty. */
export function describeStatus(code: number, role: Role = 'owner'): string {
  const known = (role === 'viewer' ? VIEWER_MESSAGES[code] : undefined) ?? MESSAGES[code];
  if (known) return known;
  if (code >= 0x0200 && code < 0x0300) return 'The server or the remote desktop reported a problem.';
  if (code >= 0x0300 && code < 0x0400) return 'The server refused the request from this browser.';
  return 'The connection failed.';
}

/** A short heading for the overlay that shows a status. */
export function statusTitle(code: number, role: Role = 'owner'): string {
  if (code === Code.SESSION_CLOSED) return 'Session ended';
  if (code === Code.SESSION_TIMEOUT) return 'Session timed out';
  if (code === Code.CLIENT_UNAUTHORIZED) return 'Signed out';
  if (role === 'viewer' && code === Code.RESOURCE_NOT_FOUND) return 'Link no longer valid';
  if (code === Code.SERVER_BUSY) return 'Porthole is busy';
  return 'Connection failed';
}

/** Whether the fix is to sign in again (the token was refused). */
export function needsSignIn(code: number): boolean {
  return code === Code.CLIENT_UNAUTHORIZED;
}

/** The server name of a code, for the small "Code 519 (UPSTREAM_NOT_FOUND)" detail line. */
export function codeName(code: number): string | null {
  for (const [name, value] of Object.entries(Code)) if (value === code) return name;
  return null;
}

/**
 * Whether a failure is worth retrying by itself: the gateway restarting or busy, or
 * the network dropping (the browser reports those as a WebSocket close without a
 * Guacamole status, so the library derives a code and there is no server text).
 */
export function isTransient(code: number, serverText: string): boolean {
  if (code === Code.SERVER_BUSY) return true;
  const fromBrowser = serverText.trim() === '';
  return fromBrowser && (code === Code.UPSTREAM_NOT_FOUND || code === Code.UPSTREAM_UNAVAILABLE || code === Code.SERVER_ERROR);
}
