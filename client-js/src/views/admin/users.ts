// Settings → Users: local accounts, and a dialog to add one.

import { ApiError, createUser, errorText, listUsers, type User } from '../../api';
import { h, icon, uid } from '../../dom';
import { formatWhen } from '../../format';
import { button, openDialog } from '../../ui';
import { settingsPage, statusLine } from '../chrome';
import type { AppContext, View } from '../view';

function field(label: string, input: HTMLInputElement, help?: string): HTMLElement {
  input.id ||= uid('user');
  const helpEl = help ? h('p', { class: 'help', id: `${input.id}-help` }, help) : null;
  if (helpEl) input.setAttribute('aria-describedby', helpEl.id);
  if (input.type === 'checkbox') return h('div', { class: 'field checkbox' }, h('div', { class: 'checkbox-row' }, input, h('label', { for: input.id }, label)), helpEl);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, helpEl);
}

export function usersView(ctx: AppContext): View {
  const token = ctx.session()?.token ?? '';
  const status = statusLine();
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table', 'aria-labelledby': 'users-title' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'User'), h('th', { scope: 'col' }, 'Email'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Created'))),
    body,
  );
  let alive = true;

  function render(users: User[]): void {
    status.clear();
    body.replaceChildren(
      ...[...users]
        .sort((a, b) => a.username.localeCompare(b.username))
        .map((u) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'User' }, h('span', { class: 'strong' }, u.display_name || u.username), u.display_name && u.display_name !== u.username ? h('span', { class: 'muted small block' }, u.username) : null),
            h('td', { 'data-label': 'Email' }, u.email || h('span', { class: 'muted' }, '—')),
            h('td', { 'data-label': 'Role' }, u.is_admin ? h('span', { class: 'tag tag-control' }, 'Administrator') : 'User', u.disabled ? h('span', { class: 'tag' }, 'disabled') : null),
            h('td', { 'data-label': 'Created' }, formatWhen(u.created_at)),
          ),
        ),
    );
  }

  async function load(): Promise<void> {
    status.loading('Loading users…');
    try {
      const users = await listUsers(token);
      if (alive) render(users);
    } catch (e) {
      if (!alive) return;
      if (e instanceof ApiError && e.status === 401) return ctx.signedOut('Your sign-in has expired. Sign in again.');
      status.error(errorText(e, 'Could not load users.'), () => void load());
    }
  }

  function newUser(): void {
    const username = h('input', { type: 'text', autocomplete: 'off', required: true, autofocus: true, spellcheck: 'false' });
    const displayName = h('input', { type: 'text', autocomplete: 'off' });
    const email = h('input', { type: 'email', autocomplete: 'off' });
    const password = h('input', { type: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
    const admin = h('input', { type: 'checkbox' });
    const error = h('p', { class: 'error-text', role: 'alert', hidden: true });
    const d = openDialog({
      title: 'New user',
      content: [
        field('User name', username, 'Used to sign in and shown to people whose sessions this user joins.'),
        field('Display name', displayName),
        field('Email', email),
        field('Password', password, 'At least 8 characters. Tell the user through a safe channel.'),
        field('Administrator', admin, 'Can manage connections, users and every live session.'),
        error,
      ],
      actions: [button('Cancel', () => d.close()), button('Create user', () => undefined, { kind: 'primary', type: 'submit' })],
      onsubmit: async () => {
        error.hidden = true;
        try {
          await createUser(token, {
            username: username.value.trim(),
            password: password.value,
            display_name: displayName.value.trim() || undefined,
            email: email.value.trim() || undefined,
            is_admin: admin.checked,
          });
          d.close();
          await load();
        } catch (e) {
          error.textContent = errorText(e, 'The user could not be created.');
          error.hidden = false;
        }
      },
    });
  }

  document.title = 'Users · Settings · Porthole';
  return {
    element: settingsPage(
      ctx,
      'users',
      h('div', { class: 'page-head' }, h('h1', { id: 'users-title' }, 'Users'), button([icon('plus'), 'New user'], newUser, { kind: 'primary' })),
      status.element,
      h('div', { class: 'table-wrap' }, table),
    ),
    mounted() {
      void load();
    },
    destroy() {
      alive = false;
    },
  };
}
