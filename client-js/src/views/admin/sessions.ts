// Settings → Active sessions: every live session with who is on it (refreshed every
// few seconds), a search box, "Watch" (read-only, the default) and "Join" (with
// control), and ending several sessions at once.

import { ApiError, endSession, errorText, listSessions, type LiveSession } from '../../api';
import { h, icon, uid } from '../../dom';
import { formatDuration, formatWhen, isoOf, plural } from '../../format';
import { hrefFor } from '../../router';
import { confirmDialog, menuButton } from '../../ui';
import { protocolLabel } from '../connections';
import { settingsPage, statusLine } from '../chrome';
import type { AppContext, View } from '../view';

const POLL_MS = 3000;

function viewerSummary(s: LiveSession): string {
  if (s.viewers.length === 0) return 'Nobody else';
  const names = new Map<string, number>();
  for (const v of s.viewers) {
    const n = v.name ?? 'Anonymous';
    names.set(n, (names.get(n) ?? 0) + 1);
  }
  return [...names.entries()].map(([n, c]) => (c > 1 ? `${n} (${c})` : n)).join(', ');
}

export function activeSessionsView(ctx: AppContext): View {
  const token = ctx.session()?.token ?? '';
  const status = statusLine();
  const live = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  const search = h('input', { id: 'session-search', type: 'search', placeholder: 'Search by connection, user or address', autocomplete: 'off' });
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select every session shown' });
  const endSelected = h('button', { type: 'button', class: 'button danger small', disabled: true }, 'End selected');
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table sessions-table', 'aria-labelledby': 'sessions-title' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'select-col' }, selectAll),
        h('th', { scope: 'col' }, 'Connection'),
        h('th', { scope: 'col' }, 'Started by'),
        h('th', { scope: 'col' }, 'Running'),
        h('th', { scope: 'col' }, 'Others on it'),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Actions')),
      ),
    ),
    body,
  );

  let sessions: LiveSession[] = [];
  const selected = new Set<string>();
  let alive = true;
  let timer: number | undefined;
  let lastSummary = '';

  function shown(): LiveSession[] {
    const q = search.value.trim().toLowerCase();
    return sessions
      .filter((s) => !q || `${s.connection_name} ${s.username} ${s.remote_addr} ${s.protocol} ${viewerSummary(s)}`.toLowerCase().includes(q))
      .sort((a, b) => b.started_at - a.started_at);
  }

  function render(): void {
    // Selections of sessions that ended are dropped.
    for (const id of [...selected]) if (!sessions.some((s) => s.id === id)) selected.delete(id);
    const rows = shown();
    table.hidden = sessions.length === 0;
    if (sessions.length === 0) status.element.replaceChildren(h('div', { class: 'empty' }, h('p', {}, 'No live sessions right now.'), h('p', { class: 'muted' }, 'Sessions appear here as soon as someone opens a connection.')));
    else if (rows.length === 0) status.info(`No sessions match “${search.value.trim()}”.`);
    else status.clear();

    const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.focusKey ?? null;
    body.replaceChildren(
      ...rows.map((s) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `Select ${s.username}’s session on ${s.connection_name}`, 'data-focus-key': `sel-${s.id}` });
        box.checked = selected.has(s.id);
        box.addEventListener('change', () => {
          if (box.checked) selected.add(s.id);
          else selected.delete(s.id);
          updateToolbar();
        });
        const watch = h(
          'a',
          { class: 'button primary small', href: hrefFor({ name: 'attend', sessionId: s.id, control: false }), 'aria-label': `Watch ${s.username}’s session on ${s.connection_name}`, 'data-focus-key': `watch-${s.id}` },
          icon('eye'),
          'Watch',
        );
        const more = menuButton({
          label: [h('span', { class: 'sr-only' }, 'More actions'), icon('chevron')],
          ariaLabel: `More actions for ${s.username}’s session on ${s.connection_name}`,
          class: 'button secondary small icon-only',
          items: () => [
            { label: 'Join with control', icon: 'share', onselect: () => ctx.go({ name: 'attend', sessionId: s.id, control: true }) },
            { label: 'End session', icon: 'power', danger: true, onselect: () => void end([s.id]) },
          ],
        });
        const viewers = s.viewers.length;
        return h(
          'tr',
          { 'data-session-id': s.id, class: selected.has(s.id) ? 'selected' : '' },
          h('td', { class: 'select-col' }, box),
          h(
            'td',
            { 'data-label': 'Connection' },
            h('span', { class: 'strong' }, s.connection_name),
            ' ',
            h('span', { class: 'badge' }, protocolLabel(s.protocol)),
          ),
          h('td', { 'data-label': 'Started by' }, s.username, h('span', { class: 'muted small block' }, s.remote_addr, s.owner_connected ? '' : ' · reconnecting')),
          h(
            'td',
            { 'data-label': 'Running' },
            h('time', { datetime: isoOf(s.started_at), title: formatWhen(s.started_at) }, formatDuration(Date.now() - s.started_at)),
          ),
          h(
            'td',
            { 'data-label': 'Others on it' },
            h('span', { class: `viewer-count${viewers ? ' live-dot' : ''}`, 'data-viewers': String(viewers) }, viewers ? plural(viewers, 'viewer') : '—'),
            viewers ? h('span', { class: 'muted small block' }, viewerSummary(s)) : null,
          ),
          h('td', { class: 'row-actions' }, watch, more.element),
        );
      }),
    );
    if (focusedId) body.querySelector<HTMLElement>(`[data-focus-key="${focusedId}"]`)?.focus();
    updateToolbar();
    const summary = `${plural(sessions.length, 'live session')}`;
    if (summary !== lastSummary) {
      live.textContent = summary;
      lastSummary = summary;
    }
  }

  function updateToolbar(): void {
    const visible = shown().map((s) => s.id);
    const n = selected.size;
    endSelected.disabled = n === 0;
    endSelected.textContent = n ? `End selected (${n})` : 'End selected';
    selectAll.checked = visible.length > 0 && visible.every((id) => selected.has(id));
    selectAll.indeterminate = !selectAll.checked && visible.some((id) => selected.has(id));
    for (const row of body.querySelectorAll<HTMLElement>('tr')) row.classList.toggle('selected', selected.has(row.dataset.sessionId ?? ''));
  }

  async function end(ids: string[]): Promise<void> {
    const chosen = sessions.filter((s) => ids.includes(s.id));
    if (chosen.length === 0) return;
    const people = chosen.reduce((n, s) => n + 1 + s.viewers.length, 0);
    const ok = await confirmDialog({
      title: chosen.length === 1 ? `End ${chosen[0].username}’s session?` : `End ${chosen.length} sessions?`,
      message: h(
        'div',
        {},
        h('p', {}, `${plural(people, 'person', 'people')} will be disconnected at once and see that the session ended. Their share links stop working.`),
        h('ul', { class: 'compact-list' }, ...chosen.map((s) => h('li', {}, `${s.connection_name} — ${s.username}`))),
      ),
      confirm: chosen.length === 1 ? 'End session' : `End ${chosen.length} sessions`,
      danger: true,
    });
    if (!ok) return;
    const failures: string[] = [];
    await Promise.all(
      chosen.map(async (s) => {
        try {
          await endSession(token, s.id);
          selected.delete(s.id);
        } catch (e) {
          if (!(e instanceof ApiError && e.status === 404)) failures.push(`${s.connection_name}: ${errorText(e)}`);
        }
      }),
    );
    await load();
    if (failures.length) status.error(`Some sessions could not be ended. ${failures.join(' ')}`);
  }

  async function load(): Promise<void> {
    try {
      const list = await listSessions(token);
      if (!alive) return;
      sessions = list;
      render();
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return ctx.signedOut('Your sign-in has expired. Sign in again.');
      status.error(errorText(e, 'Could not load the live sessions.'), () => void load());
    }
  }

  function schedule(): void {
    window.clearTimeout(timer);
    timer = window.setTimeout(async () => {
      if (!alive) return;
      // Don't redraw under an open menu.
      if (document.visibilityState === 'visible' && !body.querySelector('[aria-expanded="true"]')) await load();
      schedule();
    }, POLL_MS);
  }

  search.addEventListener('input', render);
  selectAll.addEventListener('change', () => {
    for (const s of shown()) {
      if (selectAll.checked) selected.add(s.id);
      else selected.delete(s.id);
    }
    render();
  });
  endSelected.addEventListener('click', () => void end([...selected]));

  const searchId = search.id || uid('search');
  const head = h(
    'div',
    { class: 'page-head' },
    h('h1', { id: 'sessions-title' }, 'Active sessions'),
    h('div', { class: 'head-tools' }, h('div', { class: 'search' }, h('label', { for: searchId, class: 'sr-only' }, 'Search sessions'), icon('search'), search), endSelected),
  );
  status.loading('Loading live sessions…');
  document.title = 'Active sessions · Settings · Porthole';
  return {
    element: settingsPage(
      ctx,
      'sessions',
      head,
      h('p', { class: 'muted small page-lede' }, 'Watching is view-only and shows you to the person by name. Use “Join with control” from the row’s menu to take part.'),
      live,
      status.element,
      h('div', { class: 'table-wrap' }, table),
    ),
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
