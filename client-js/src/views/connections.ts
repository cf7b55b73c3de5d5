// Connection list: GET api/connections; each entry opens #/client/<id>.

import { ApiError, deleteToken, listConnections, type Connection } from '../api';
import { h, clear, brand } from '../dom';
import { hrefFor } from '../router';
import type { View, AppContext } from './view';

const PROTOCOL_LABELS: Record<string, string> = {
  vnc: 'VNC',
  rdp: 'RDP',
  ssh: 'SSH',
  telnet: 'Telnet',
  kubernetes: 'Kubernetes',
};

export function connectionsView(ctx: AppContext): View {
  const session = ctx.session();
  const status = h('div', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
  const list = h('ul', { class: 'connection-list', 'aria-labelledby': 'connections-title' });

  const signOut = h('button', { type: 'button', class: 'button secondary small' }, 'Sign out');
  signOut.addEventListener('click', async () => {
    signOut.disabled = true;
    const token = session?.token;
    if (token) {
      // Best effort: the token is forgotten locally whatever the server says.
      await deleteToken(token).catch(() => undefined);
    }
    ctx.signedOut('You have signed out.');
  });

  const header = h(
    'header',
    { class: 'topbar' },
    brand(),
    h(
      'div',
      { class: 'topbar-user' },
      session?.username ? h('span', { class: 'muted' }, `Signed in as ${session.username}`) : null,
      signOut,
    ),
  );

  const main = h(
    'main',
    { class: 'page' },
    h('h1', { id: 'connections-title' }, 'Connections'),
    status,
    list,
  );

  let alive = true;

  function render(connections: Connection[]): void {
    clear(list);
    clear(status);
    if (connections.length === 0) {
      status.append(h('p', { class: 'muted' }, 'No connections are available to you yet.'));
      return;
    }
    const sorted = [...connections].sort((a, b) => a.name.localeCompare(b.name));
    for (const c of sorted) {
      const protocol = PROTOCOL_LABELS[c.protocol] ?? c.protocol.toUpperCase();
      list.append(
        h(
          'li',
          {},
          h(
            'a',
            { class: 'connection', href: hrefFor({ name: 'client', connectionId: c.id }), 'data-connection-id': c.id },
            h('span', { class: 'connection-name' }, c.name),
            protocol ? h('span', { class: 'badge', 'aria-label': `protocol ${protocol}` }, protocol) : null,
          ),
        ),
      );
    }
  }

  async function load(): Promise<void> {
    if (!session) {
      ctx.signedOut();
      return;
    }
    clear(status);
    status.append(h('p', { class: 'muted' }, 'Loading connections…'));
    list.setAttribute('aria-busy', 'true');
    try {
      const connections = await listConnections(session.token);
      if (!alive) return;
      ctx.rememberConnections(connections);
      render(connections);
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) {
        ctx.signedOut('Your sign-in has expired. Sign in again.');
        return;
      }
      clear(status);
      const retry = h('button', { type: 'button', class: 'button secondary small' }, 'Try again');
      retry.addEventListener('click', () => void load());
      status.append(
        h('p', { class: 'error-text', role: 'alert' }, e instanceof Error ? e.message : 'Could not load connections.'),
        retry,
      );
    } finally {
      list.removeAttribute('aria-busy');
    }
  }

  document.title = 'Connections · Porthole';
  const root = h('div', { class: 'shell' }, header, main);
  return {
    element: root,
    mounted() {
      void load();
    },
    destroy() {
      alive = false;
    },
  };
}
