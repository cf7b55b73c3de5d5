// Settings → History: sessions that ran, newest first, a page at a time; each row
// opens the list of people who joined it.

import { ApiError, errorText, getHistory, listHistory, type HistoryPage, type HistoryRecord, type Participant } from '../../api';
import { h, icon, uid } from '../../dom';
import { formatDuration, formatWhen, isoOf, plural } from '../../format';
import { hrefFor } from '../../router';
import { codeName } from '../../status';
import { protocolLabel } from '../connections';
import { settingsPage, statusLine } from '../chrome';
import type { AppContext, View } from '../view';

const PER_PAGE = 25;

function outcome(r: HistoryRecord): HTMLElement {
  if (r.ended_at === null) return h('span', { class: 'live-dot' }, 'Live');
  const reason = r.end_reason?.trim();
  const code = r.end_status;
  const ok = code === null || code === 0;
  const label = reason || (ok ? 'Ended normally' : codeName(code) ?? `Status ${code}`);
  return h('span', { class: ok ? '' : 'warn-text', title: code !== null ? `Status ${code}` : '' }, label.charAt(0).toUpperCase() + label.slice(1));
}

function kindLabel(kind: string, readOnly: boolean): string {
  const access = readOnly ? 'view only' : 'with control';
  if (kind === 'link') return `Share link, ${access}`;
  if (kind === 'admin-watch') return 'Administrator, watching';
  if (kind === 'admin-join') return 'Administrator, with control';
  return `${kind}, ${access}`;
}

export function historyView(ctx: AppContext, page: number): View {
  const token = ctx.session()?.token ?? '';
  const status = statusLine();
  const body = h('tbody');
  const pager = h('nav', { class: 'pager', 'aria-label': 'History pages' });
  const table = h(
    'table',
    { class: 'table history-table', 'aria-labelledby': 'history-title' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Connection'),
        h('th', { scope: 'col' }, 'User'),
        h('th', { scope: 'col' }, 'Started'),
        h('th', { scope: 'col' }, 'Duration'),
        h('th', { scope: 'col' }, 'Ended'),
        h('th', { scope: 'col', class: 'actions-col' }, h('span', { class: 'sr-only' }, 'Details')),
      ),
    ),
    body,
  );
  let alive = true;

  function participantsRow(r: HistoryRecord, list: Participant[] | string): HTMLElement {
    const content =
      typeof list === 'string'
        ? h('p', { class: 'error-text' }, list)
        : list.length === 0
          ? h('p', { class: 'muted' }, 'Nobody else joined this session.')
          : h(
              'ul',
              { class: 'participants' },
              ...list.map((p) =>
                h(
                  'li',
                  {},
                  h('span', { class: 'strong' }, p.name || 'Anonymous'),
                  h('span', { class: 'muted small' }, ` · ${kindLabel(p.kind, p.read_only)}${p.profile_name ? ` (“${p.profile_name}”)` : ''} · ${p.remote_addr} · ${formatWhen(p.joined_at)}${p.left_at ? ` for ${formatDuration(p.left_at - p.joined_at)}` : ', still on'}${p.leave_reason ? ` · ${p.leave_reason}` : ''}`),
                ),
              ),
            );
    return h('tr', { class: 'detail-row', id: `history-${r.id}` }, h('td', { colspan: '6' }, h('div', { class: 'detail-box' }, h('h3', {}, 'Who else was there'), content)));
  }

  function render(data: HistoryPage): void {
    const pages = Math.max(1, Math.ceil(data.total / data.per_page));
    table.hidden = data.sessions.length === 0;
    if (data.total === 0) status.element.replaceChildren(h('div', { class: 'empty' }, h('p', {}, 'No sessions yet.'), h('p', { class: 'muted' }, 'Every session is recorded here when it starts.')));
    else if (data.sessions.length === 0) status.info('This page is empty.');
    else status.clear();

    body.replaceChildren(
      ...data.sessions.flatMap((r) => {
        const toggle = h('button', { type: 'button', class: 'button ghost small', 'aria-expanded': 'false', 'aria-controls': `history-${r.id}` }, 'People', icon('chevron'));
        toggle.setAttribute('aria-label', `People on ${r.username}’s session on ${r.connection_name}, ${formatWhen(r.started_at)}`);
        const row = h(
          'tr',
          { 'data-history-id': r.id },
          h('td', { 'data-label': 'Connection' }, h('span', { class: 'strong' }, r.connection_name), ' ', h('span', { class: 'badge' }, protocolLabel(r.protocol))),
          h('td', { 'data-label': 'User' }, r.username, h('span', { class: 'muted small block' }, r.remote_addr)),
          h('td', { 'data-label': 'Started' }, h('time', { datetime: isoOf(r.started_at) }, formatWhen(r.started_at))),
          h('td', { 'data-label': 'Duration' }, r.ended_at ? formatDuration(r.ended_at - r.started_at) : formatDuration(Date.now() - r.started_at)),
          h('td', { 'data-label': 'Ended' }, outcome(r)),
          h('td', { class: 'row-actions' }, toggle),
        );
        let detail: HTMLElement | null = null;
        toggle.addEventListener('click', async () => {
          if (detail) {
            detail.remove();
            detail = null;
            toggle.setAttribute('aria-expanded', 'false');
            return;
          }
          toggle.setAttribute('aria-expanded', 'true');
          toggle.setAttribute('aria-busy', 'true');
          let list: Participant[] | string;
          try {
            list = (await getHistory(token, r.id)).participants;
          } catch (e) {
            list = errorText(e);
          }
          toggle.removeAttribute('aria-busy');
          if (!alive || toggle.getAttribute('aria-expanded') !== 'true') return;
          detail = participantsRow(r, list);
          row.after(detail);
        });
        return [row];
      }),
    );

    const from = data.total === 0 ? 0 : (data.page - 1) * data.per_page + 1;
    const to = Math.min(data.total, data.page * data.per_page);
    const link = (p: number, label: string, rel: string, disabled: boolean) =>
      disabled
        ? h('span', { class: 'button secondary small', 'aria-disabled': 'true' }, label)
        : h('a', { class: 'button secondary small', href: hrefFor({ name: 'admin-history', page: p }), rel }, label);
    pager.replaceChildren(
      link(data.page - 1, '← Newer', 'prev', data.page <= 1),
      h('span', { class: 'pager-info' }, data.total ? `${from}–${to} of ${plural(data.total, 'session')} · page ${data.page} of ${pages}` : ''),
      link(data.page + 1, 'Older →', 'next', data.page >= pages),
    );
  }

  async function load(): Promise<void> {
    status.loading('Loading history…');
    try {
      const data = await listHistory(token, page, PER_PAGE);
      if (alive) render(data);
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return ctx.signedOut('Your sign-in has expired. Sign in again.');
      status.error(errorText(e, 'Could not load the history.'), () => void load());
    }
  }

  document.title = 'History · Settings · Porthole';
  return {
    element: settingsPage(
      ctx,
      'history',
      h('div', { class: 'page-head', id: uid('head') }, h('h1', { id: 'history-title' }, 'Session history')),
      status.element,
      h('div', { class: 'table-wrap' }, table),
      pager,
    ),
    mounted() {
      void load();
    },
    destroy() {
      alive = false;
    },
  };
}
