// Guacamole status codes (wire spec §3.3) turned into sentences for people.
//
// The library reports a numeric code through `client.onerror` / `tunnel.onerror`,
// sometimes with a terse server message ("Aborted. See logs."). Users get one of
// these sentences instead; the server text and the code stay available as detail.

const MESSAGES: Record<number, string> = {
  0x0100: 'The server does not support this operation.',
  0x0200: 'The server hit an internal error. Try again in a moment.',
  0x0201: 'The server is busy. Try again in a moment.',
  0x0202: 'The remote desktop is not responding.',
  0x0203: 'The remote desktop reported an error.',
  0x0204: 'This connection does not exist (any more).',
  0x0205: 'This connection is already in use.',
  0x0206: 'This connection has already been closed.',
  0x0207: 'The remote desktop could not be found or reached.',
  0x0208: 'The remote desktop refused the connection.',
  0x0209: 'This session was ended by another session.',
  0x020a: 'This session was ended because it was idle for too long.',
  0x020b: 'This session was closed by an administrator or by the remote desktop.',
  0x0300: 'The connection request was invalid.',
  0x0301: 'You are not signed in, or your sign-in has expired.',
  0x0303: 'You are not allowed to use this connection.',
  0x0308: 'The browser took too long to respond.',
  0x030d: 'The browser sent more data than the server accepts.',
  0x030f: 'The browser sent data of a type the server does not accept.',
  0x031d: 'Too many sessions are open. Close one and try again.',
};

/** A sentence describing a Guacamole status code; never empty. */
export function describeStatus(code: number): string {
  const known = MESSAGES[code];
  if (known) return known;
  if (code >= 0x0200 && code < 0x0300) return 'The server or the remote desktop reported a problem.';
  if (code >= 0x0300 && code < 0x0400) return 'The server refused the request from this browser.';
  return 'The connection failed.';
}

/** Whether the fix is to sign in again (the token was refused). */
export function needsSignIn(code: number): boolean {
  return code === 0x0301;
}
