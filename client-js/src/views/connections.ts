// Home: the connections the user may open, grouped by folder when the server sends
// folders, with "In use by N users" on live ones and a search box. The list is
// refreshed every few seconds while the page is visible, so the counts stay true.

import { ApiError, errorText, listConnections, type Connection } from '../api';
import { h, icon } from '../dom';
import { plural } from '../format';
import { hrefFor } from '../router';
import { statusLine, topbar } from './chrome';
import type { View, AppContext } from './view';

export const PROTOCOL_LABELS: Record<string, string> = {
  vnc: 'VNC',
  rdp: 'RDP',
  ssh: 'SSH',
  telnet: 'Telnet',
  kubernetes: 'Kubernetes',
};

export function protocolLabel(p: string): string {
  return PROTOCOL_LABELS[p] ?? p.toUpperCase();
}

const REFRESH_MS = 10_000;

function matches(c: Connection, q: string): boolean {
  if (!q) return true;
  const hay = `${c.name} ${c.protocol} ${protocolLabel(c.protocol)} ${c.folder ?? ''}`.toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => hay.includes(word));
}

function connectionItem(c: Connection): HTMLElement {
  const protocol = protocolLabel(c.protocol);
  const inUse = c.activeUsers > 0 || c.activeSessions > 0;
  const users = Math.max(c.activeUsers, c.activeSessions);
  return h(
    'li',
    {},
    h(
      'a',
      {
        class: `connection${inUse ? ' live' : ''}`,
        href: hrefFor({ name: 'client', connectionId: c.id }),
        'data-connection-id': c.id,
      },
      h('span', { class: 'connection-icon', 'aria-hidden': 'true' }, icon('screen')),
      h(
        'span',
        { class: 'connection-text' },
        h('span', { class: 'connection-name' }, c.name),
        inUse ? h('span', { class: 'connection-usage' }, `In use by ${plural(users, 'user')}`) : null,
      ),
      protocol ? h('span', { class: 'badge', 'aria-label': `protocol ${protocol}` }, protocol) : null,
    ),
  );
}

export function connectionsView(ctx: AppContext): View {
  const session = ctx.session();
  const status = statusLine();
  const results = h('div', { class: 'connection-groups', 'aria-labelledby': 'connections-title' });
  const search = h('input', {
    id: 'connection-search',
    type: 'search',
    placeholder: 'Search connections',
    title: 'Search by name, protocol or folder',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const count = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });

  let alive = true;
  let connections: Connection[] | null = null;
  let timer: number | undefined;

  function render(): void {
    if (!connections) return;
    // A refresh must not take the focus away from someone moving through the list.
    const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.connectionId ?? null;
    draw();
    if (focusedId) results.querySelector<HTMLElement>(`[data-connection-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  function draw(): void {
    if (!connections) return;
    results.replaceChildren();
    if (connections.length === 0) {
      status.element.replaceChildren(
        h('div', { class: 'empty' },
          h('p', {}, 'No connections are available to you yet.'),
          session?.isAdmin
            ? h('p', { class: 'muted' }, 'Create one under ', h('a', { href: hrefFor({ name: 'admin-connection', connectionId: null }) }, 'Settings → Connections'), '.')
            : h('p', { class: 'muted' }, 'Ask an administrator to give you access to a remote desktop.'),
        ),
      );
      return;
    }
    status.clear();
    const q = search.value.trim();
    const shown = connections.filter((c) => matches(c, q)).sort((a, b) => a.name.localeCompare(b.name));
    count.textContent = q ? `${plural(shown.length, 'connection')} found` : '';
    if (shown.length === 0) {
      results.append(h('p', { class: 'muted empty' }, `No connections match “${q}”.`));
      return;
    }
    const hasFolders = connections.some((c) => c.folder);
    if (!hasFolders) {
      results.append(h('ul', { class: 'connection-list' }, ...shown.map(connectionItem)));
      return;
    }
    // Folders: one collapsible group per folder path, unfiled connections first.
    const groups = new Map<string, Connection[]>();
    for (const c of shown) {
      const key = c.folder ?? '';
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const keys = [...groups.keys()].sort((a, b) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b)));
    for (const key of keys) {
      const list = h('ul', { class: 'connection-list' }, ...(groups.get(key) ?? []).map(connectionItem));
      if (key === '') {
        results.append(list);
        continue;
      }
      results.append(
        h(
          'details',
          { class: 'folder', open: true },
          h(
            'summary',
            {},
            icon('folder'),
            h('span', { class: 'folder-name' }, key.split('/').join(' / ')),
            h('span', { class: 'folder-count muted' }, String(groups.get(key)?.length ?? 0)),
          ),
          list,
        ),
      );
    }
  }

  async function load(quiet = false): Promise<void> {
    if (!session) {
      ctx.signedOut();
      return;
    }
    if (!quiet) status.loading('Loading connections…');
    results.setAttribute('aria-busy', 'true');
    try {
      const list = await listConnections(session.token);
      if (!alive) return;
      ctx.rememberConnections(list);
      connections = list;
      render();
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) {
        ctx.signedOut('Your sign-in has expired. Sign in again.');
        return;
      }
      if (!quiet || !connections) status.error(errorText(e, 'Could not load connections.'), () => void load());
    } finally {
      results.removeAttribute('aria-busy');
    }
  }

  function schedule(): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (!alive) return;
      if (document.visibilityState === 'visible') await load(true);
      schedule();
    }, REFRESH_MS);
  }

  search.addEventListener('input', render);
  search.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && search.value) {
      search.value = '';
      render();
    }
  });

  const main = h(
    'main',
    { class: 'page', id: 'main' },
    h(
      'div',
      { class: 'page-head' },
      h('h1', { id: 'connections-title' }, 'Connections'),
      h(
        'div',
        { class: 'search' },
        h('label', { for: 'connection-search', class: 'sr-only' }, 'Search connections'),
        icon('search'),
        search,
      ),
    ),
    count,
    status.element,
    results,
  );

  document.title = 'Connections · Porthole';
  const root = h('div', { class: 'shell' }, topbar(ctx, 'home'), main);
  return {
    element: root,
    mounted() {
      void load();
      schedule();
    },
    destroy() {
      alive = false;
      window.clearTimeout(timer);
    },
  };
}
