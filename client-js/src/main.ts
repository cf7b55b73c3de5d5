// App shell: picks the view for the current hash route and enforces sign-in.

import './styles.css';
import { clearSession, currentSession } from './auth';
import type { Connection } from './api';
import { navigate, parseRoute, type Route } from './router';
import { connectionsView } from './views/connections';
import { sessionView } from './views/session';
import { signInView } from './views/sign-in';
import type { AppContext, View } from './views/view';

const outlet = document.getElementById('app');
if (!outlet) throw new Error('missing #app element');

let current: View | null = null;
let notice: string | null = null;
/** Where to go after signing in (e.g. a #/client/... link opened while signed out). */
let afterSignIn: Route = { name: 'connections' };
const connectionNames = new Map<string, string>();

const ctx: AppContext = {
  session: currentSession,
  go: (route) => navigate(route),
  signedOut(message) {
    clearSession();
    notice = message ?? null;
    navigate({ name: 'login' });
  },
  signedIn() {
    notice = null;
    const next = afterSignIn;
    afterSignIn = { name: 'connections' };
    navigate(next, true);
  },
  rememberConnections(list: Connection[]) {
    for (const c of list) connectionNames.set(c.id, c.name);
  },
  connectionName: (id) => connectionNames.get(id) ?? null,
};

function show(view: View): void {
  current?.destroy?.();
  outlet!.replaceChildren(view.element);
  current = view;
  view.mounted?.();
}

function render(): void {
  const route = parseRoute(location.hash);
  const session = currentSession();
  document.body.classList.toggle('in-session', route.name === 'client' && session !== null);

  if (route.name === 'login') {
    if (session) {
      navigate({ name: 'connections' }, true);
      return;
    }
    const message = notice;
    notice = null;
    show(signInView(ctx, message));
    return;
  }

  if (!session) {
    afterSignIn = route;
    navigate({ name: 'login' }, true);
    return;
  }

  show(route.name === 'client' ? sessionView(ctx, route.connectionId) : connectionsView(ctx));
}

window.addEventListener('hashchange', render);
render();
