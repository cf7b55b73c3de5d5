// Settings → Connections: every connection, with its live use, and the ways to
// create, edit, open and delete them.

import { ApiError, deleteConnection, errorText, listConnections, type Backend, type Connection } from '../../api';
import { h, icon } from '../../dom';
import { plural } from '../../format';
import { hrefFor } from '../../router';
import { confirmDialog } from '../../ui';
import { protocolLabel } from '../connections';
import { settingsPage, statusLine } from '../chrome';
import type { AppContext, View } from '../view';

/** A small badge naming the back end: guacd, or Porthole's own VNC client. */
function backendBadge(backend: Backend): HTMLElement {
  return backend === 'builtin'
    ? h('span', { class: 'badge badge-builtin', 'data-backend': backend, title: 'Built into Porthole (no guacd)' }, 'Built-in')
    : h('span', { class: 'badge', 'data-backend': backend, title: 'Through guacd' }, 'guacd');
}

export function adminConnectionsView(ctx: AppContext): View {
  const session = ctx.session();
  const status = statusLine();
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table', 'aria-labelledby': 'admin-connections-title' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Name'),
        h('th', { scope: 'col' }, 'Protocol'),
        h('th', { scope: 'col' }, 'Back end'),
        h('th', { scope: 'col' }, 'In use'),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    body,
  );
  const search = h('input', { id: 'admin-connection-search', type: 'search', placeholder: 'Search connections', autocomplete: 'off' });
  let all: Connection[] = [];
  let alive = true;

  function render(): void {
    const q = search.value.trim().toLowerCase();
    const rows = all
      .filter((c) => !q || `${c.name} ${c.protocol} ${c.backend === 'builtin' ? 'built-in builtin' : 'guacd'}`.toLowerCase().includes(q))
      .sort((a, b) => a.name.localeCompare(b.name));
    table.hidden = all.length === 0;
    if (all.length === 0) {
      status.element.replaceChildren(
        h('div', { class: 'empty' }, h('p', {}, 'No connections yet.'), h('p', { class: 'muted' }, 'Create the first one to give people a remote desktop.')),
      );
    } else if (rows.length === 0) {
      status.info(`No connections match “${search.value.trim()}”.`);
    } else {
      status.clear();
    }
    body.replaceChildren(
      ...rows.map((c) => {
        const edit = h('a', { class: 'button secondary small', href: hrefFor({ name: 'admin-connection', connectionId: c.id }), 'aria-label': `Edit ${c.name}` }, 'Edit');
        const open = h('a', { class: 'button ghost small', href: hrefFor({ name: 'client', connectionId: c.id }), 'aria-label': `Open ${c.name}` }, 'Open');
        const del = h('button', { type: 'button', class: 'button ghost small danger-text', 'aria-label': `Delete ${c.name}` }, 'Delete');
        del.addEventListener('click', () => void remove(c));
        return h(
          'tr',
          { 'data-connection-id': c.id },
          h('td', { 'data-label': 'Name' }, h('a', { class: 'strong-link', href: hrefFor({ name: 'admin-connection', connectionId: c.id }) }, c.name)),
          h('td', { 'data-label': 'Protocol' }, h('span', { class: 'badge' }, protocolLabel(c.protocol))),
          h('td', { 'data-label': 'Back end' }, backendBadge(c.backend)),
          h(
            'td',
            { 'data-label': 'In use' },
            c.activeSessions > 0
              ? h('span', { class: 'live-dot' }, `${plural(c.activeSessions, 'session')}, ${plural(c.activeUsers, 'user')}`)
              : h('span', { class: 'muted' }, '—'),
          ),
          h('td', { class: 'row-actions' }, edit, open, del),
        );
      }),
    );
  }

  async function remove(c: Connection): Promise<void> {
    const token = session?.token;
    if (!token) return;
    const ok = await confirmDialog({
      title: `Delete “${c.name}”?`,
      message:
        c.activeSessions > 0
          ? `Its ${plural(c.activeSessions, 'live session')} will end at once, with everyone on them. Its sharing profiles go too. This cannot be undone.`
          : 'Its sharing profiles go too. This cannot be undone.',
      confirm: 'Delete connection',
      danger: true,
    });
    if (!ok) return;
    try {
      await deleteConnection(token, c.id);
      await load();
    } catch (e) {
      status.error(errorText(e, 'The connection could not be deleted.'));
    }
  }

  async function load(): Promise<void> {
    if (!session) return;
    if (all.length === 0) status.loading('Loading connections…');
    try {
      const list = await listConnections(session.token);
      if (!alive) return;
      all = list;
      ctx.rememberConnections(list);
      render();
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return ctx.signedOut('Your sign-in has expired. Sign in again.');
      status.error(errorText(e, 'Could not load connections.'), () => void load());
    }
  }

  search.addEventListener('input', render);

  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { id: 'admin-connections-title' }, 'Connections'),
    h(
      'div',
      { class: 'head-tools' },
      h('div', { class: 'search' }, h('label', { for: 'admin-connection-search', class: 'sr-only' }, 'Search connections'), icon('search'), search),
      h('a', { class: 'button primary', href: hrefFor({ name: 'admin-connection', connectionId: null }) }, icon('plus'), 'New connection'),
    ),
  );
  document.title = 'Connections · Settings · Porthole';
  return {
    element: settingsPage(ctx, 'connections', head, status.element, h('div', { class: 'table-wrap' }, table)),
    mounted() {
      void load();
    },
    destroy() {
      alive = false;
    },
  };
}
