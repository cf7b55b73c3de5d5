// The signed-in user's token, kept in sessionStorage: it survives reloads of this
// tab but not closing it, and is not shared with other tabs.

export interface Session {
  token: string;
  username: string;
  /** The name to greet the user with (falls back to the username). */
  displayName: string;
  isAdmin: boolean;
  /** RFC 3339 expiry as sent by the server, if any. */
  expiresAt: string | null;
}

const KEY = 'porthole.session';

export function loadSession(): Session | null {
  let raw: string | null = null;
  try {
    raw = sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || s.token === '') return null;
    if (s.expiresAt) {
      const t = Date.parse(s.expiresAt);
      if (!Number.isNaN(t) && t <= Date.now()) {
        clearSession();
        return null;
      }
    }
    return {
      token: s.token,
      username: s.username ?? '',
      displayName: s.displayName || s.username || '',
      isAdmin: s.isAdmin === true,
      expiresAt: s.expiresAt ?? null,
    };
  } catch {
    clearSession();
    return null;
  }
}

export function saveSession(s: Session): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(s));
  } catch {
    // Storage can be unavailable (private mode quotas); the session then lasts
    // until the page is reloaded, which the in-memory copy below covers.
  }
  memory = s;
}

export function clearSession(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // ignore, see saveSession
  }
  memory = null;
}

let memory: Session | null = null;

/** The current session: storage first, then the in-memory fallback. */
export function currentSession(): Session | null {
  return loadSession() ?? memory;
}
