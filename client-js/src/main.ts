// App shell: picks the view for the current hash route, enforces sign-in (share
// links are open to anyone) and keeps settings pages to administrators.

import './styles.css';
import { clearSession, currentSession } from './auth';
import { deleteToken, type Connection } from './api';
import { isAdminRoute, isPublic, navigate, parseRoute, type Route } from './router';
import { connectionsView } from './views/connections';
import { sessionView } from './views/session';
import { signInView } from './views/sign-in';
import { viewerView } from './views/viewer';
import { adminConnectionsView } from './views/admin/connections';
import { connectionEditorView } from './views/admin/connection-editor';
import { activeSessionsView } from './views/admin/sessions';
import { historyView } from './views/admin/history';
import { usersView } from './views/admin/users';
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
  async signOut() {
    const token = currentSession()?.token;
    // Best effort: the token is forgotten locally whatever the server says.
    if (token) await deleteToken(token).catch(() => undefined);
    ctx.signedOut('You have signed out.');
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
  document.body.classList.toggle('in-session', view.fullscreen === true);
  outlet!.replaceChildren(view.element);
  current = view;
  view.mounted?.();
}

function viewFor(route: Route): View {
  switch (route.name) {
    case 'client':
      return sessionView(ctx, route.connectionId);
    case 'share':
      return viewerView(ctx, { kind: 'link', key: route.key });
    case 'attend':
      return viewerView(ctx, { kind: 'admin', sessionId: route.sessionId, control: route.control });
    case 'admin-connections':
      return adminConnectionsView(ctx);
    case 'admin-connection':
      return connectionEditorView(ctx, route.connectionId);
    case 'admin-sessions':
      return activeSessionsView(ctx);
    case 'admin-history':
      return historyView(ctx, route.page);
    case 'admin-users':
      return usersView(ctx);
    default:
      return connectionsView(ctx);
  }
}

function render(): void {
  const route = parseRoute(location.hash);
  const session = currentSession();

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

  if (!session && !isPublic(route)) {
    afterSignIn = route;
    navigate({ name: 'login' }, true);
    return;
  }

  if (isAdminRoute(route) && !session?.isAdmin) {
    navigate({ name: 'connections' }, true);
    return;
  }

  show(viewFor(route));
}

window.addEventListener('hashchange', render);
render();
