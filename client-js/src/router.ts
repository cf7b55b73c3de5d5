// Hash routing: #/login, #/ (connections), #/client/<connection id>.
// Hash routes keep the gateway simple: it serves index.html at / and nothing else
// needs to know about client-side paths.

export type Route =
  | { name: 'login' }
  | { name: 'connections' }
  | { name: 'client'; connectionId: string };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  if (path === '/login') return { name: 'login' };
  const m = /^\/client\/(.+)$/.exec(path);
  if (m) {
    let id = m[1];
    try {
      id = decodeURIComponent(id);
    } catch {
      // keep the raw text
    }
    return { name: 'client', connectionId: id };
  }
  return { name: 'connections' };
}

export function hrefFor(route: Route): string {
  switch (route.name) {
    case 'login':
      return '#/login';
    case 'connections':
      return '#/';
    case 'client':
      return `#/client/${encodeURIComponent(route.connectionId)}`;
  }
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
