// Hash routing. Hash routes keep the gateway simple: it serves index.html at / and
// nothing else needs to know about client-side paths. Share links are
// `<origin>/#/share/<key>`, so the key never reaches a server log.
//
//   #/login                      sign-in
//   #/                           connections
//   #/client/<connection id>     a remote desktop (the user's own session)
//   #/share/<key>                a shared session, opened from a share link
//   #/watch/<session id>         an administrator watching a live session (read-only)
//   #/join/<session id>          an administrator joining a live session (with control)
//   #/admin/connections          connections (administrators)
//   #/admin/connections/new      new connection
//   #/admin/connections/<id>     edit a connection and its sharing profiles
//   #/admin/sessions             active sessions
//   #/admin/history[/<page>]     session history
//   #/admin/users                user accounts

export type AdminSection = 'connections' | 'sessions' | 'history' | 'users';

export type Route =
  | { name: 'login' }
  | { name: 'connections' }
  | { name: 'client'; connectionId: string }
  | { name: 'share'; key: string }
  | { name: 'attend'; sessionId: string; control: boolean }
  | { name: 'admin-connections' }
  | { name: 'admin-connection'; connectionId: string | null }
  | { name: 'admin-sessions' }
  | { name: 'admin-history'; page: number }
  | { name: 'admin-users' };

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/login') return { name: 'login' };
  let m = /^\/client\/(.+)$/.exec(path);
  if (m) return { name: 'client', connectionId: decode(m[1]) };
  m = /^\/share\/([^/?#]+)$/.exec(path);
  if (m) return { name: 'share', key: decode(m[1]) };
  m = /^\/(watch|join)\/(.+)$/.exec(path);
  if (m) return { name: 'attend', sessionId: decode(m[2]), control: m[1] === 'join' };
  if (path === '/admin' || path === '/admin/' || path === '/admin/connections') return { name: 'admin-connections' };
  if (path === '/admin/connections/new') return { name: 'admin-connection', connectionId: null };
  m = /^\/admin\/connections\/(.+)$/.exec(path);
  if (m) return { name: 'admin-connection', connectionId: decode(m[1]) };
  if (path === '/admin/sessions') return { name: 'admin-sessions' };
  m = /^\/admin\/history(?:\/(\d+))?$/.exec(path);
  if (m) return { name: 'admin-history', page: Math.max(1, Number(m[1] ?? '1') || 1) };
  if (path === '/admin/users') return { name: 'admin-users' };
  return { name: 'connections' };
}

export function hrefFor(route: Route): string {
  const enc = encodeURIComponent;
  switch (route.name) {
    case 'login':
      return '#/login';
    case 'connections':
      return '#/';
    case 'client':
      return `#/client/${enc(route.connectionId)}`;
    case 'share':
      return `#/share/${enc(route.key)}`;
    case 'attend':
      return `#/${route.control ? 'join' : 'watch'}/${enc(route.sessionId)}`;
    case 'admin-connections':
      return '#/admin/connections';
    case 'admin-connection':
      return route.connectionId === null ? '#/admin/connections/new' : `#/admin/connections/${enc(route.connectionId)}`;
    case 'admin-sessions':
      return '#/admin/sessions';
    case 'admin-history':
      return route.page > 1 ? `#/admin/history/${route.page}` : '#/admin/history';
    case 'admin-users':
      return '#/admin/users';
  }
}

/** Routes anyone may open without signing in. */
export function isPublic(route: Route): boolean {
  return route.name === 'login' || route.name === 'share';
}

export function isAdminRoute(route: Route): boolean {
  return route.name.startsWith('admin-') || route.name === 'attend';
}

export function navigate(route: Route, replace = false): void {
  const href = hrefFor(route);
  if (replace) {
    history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else if (location.hash !== href) {
    location.hash = href;
  } else {
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }
}
