// The frame around ordinary pages: a top bar with the brand, navigation and the
// user menu, and (on settings pages) the settings tabs.

import { h, brand, icon } from '../dom';
import { hrefFor, type AdminSection } from '../router';
import { menuButton, type MenuItem } from '../ui';
import type { AppContext } from './view';

export type NavTarget = 'home' | 'settings';

function userMenu(ctx: AppContext): HTMLElement {
  const s = ctx.session();
  const name = s?.displayName || s?.username || 'Account';
  const initial = name.trim().charAt(0).toUpperCase() || '?';
  return menuButton({
    label: [
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, initial),
      h('span', { class: 'user-name' }, name),
      icon('chevron'),
    ],
    ariaLabel: `Account menu for ${name}`,
    class: 'button ghost user-button',
    items: () => {
      const items: MenuItem[] = [{ heading: s?.username ? `Signed in as ${s.username}` : 'Signed in' }];
      if (s?.isAdmin) items.push({ label: 'Settings', icon: 'screen', onselect: () => ctx.go({ name: 'admin-connections' }) });
      items.push({ label: 'Sign out', icon: 'power', onselect: () => void ctx.signOut() });
      return items;
    },
  }).element;
}

/** The top bar. `active` marks the current section in the navigation. */
export function topbar(ctx: AppContext, active: NavTarget): HTMLElement {
  const s = ctx.session();
  const link = (target: NavTarget, label: string, href: string) =>
    h('a', { class: `nav-link${active === target ? ' active' : ''}`, href, 'aria-current': active === target ? 'page' : null }, label);
  return h(
    'header',
    { class: 'topbar' },
    h('a', { class: 'brand-link', href: hrefFor({ name: 'connections' }), 'aria-label': 'Porthole home' }, brand()),
    h(
      'nav',
      { class: 'topnav', 'aria-label': 'Main' },
      link('home', 'Home', hrefFor({ name: 'connections' })),
      s?.isAdmin ? link('settings', 'Settings', hrefFor({ name: 'admin-connections' })) : null,
    ),
    h('div', { class: 'topbar-user' }, userMenu(ctx)),
  );
}

const TABS: { section: AdminSection; label: string; href: string }[] = [
  { section: 'connections', label: 'Connections', href: hrefFor({ name: 'admin-connections' }) },
  { section: 'sessions', label: 'Active sessions', href: hrefFor({ name: 'admin-sessions' }) },
  { section: 'history', label: 'History', href: hrefFor({ name: 'admin-history', page: 1 }) },
  { section: 'users', label: 'Users', href: hrefFor({ name: 'admin-users' }) },
];

/** A settings page: top bar, the settings tabs, then `content`. */
export function settingsPage(ctx: AppContext, section: AdminSection, ...content: (Node | null)[]): HTMLElement {
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Settings' },
    ...TABS.map((t) =>
      h(
        'a',
        { class: `tab${t.section === section ? ' active' : ''}`, href: t.href, 'aria-current': t.section === section ? 'page' : null },
        t.label,
      ),
    ),
  );
  return h(
    'div',
    { class: 'shell' },
    topbar(ctx, 'settings'),
    h('main', { class: 'page page-wide', id: 'main' }, tabs, ...content),
  );
}

/** A status line under a heading: loading, errors (with retry), empty states. */
export function statusLine(): {
  element: HTMLElement;
  loading(text?: string): void;
  error(text: string, retry?: () => void): void;
  info(text: string): void;
  clear(): void;
} {
  const el = h('div', { class: 'list-status', role: 'status', 'aria-live': 'polite' });
  return {
    element: el,
    loading(text = 'Loading…') {
      el.replaceChildren(h('p', { class: 'muted' }, text));
    },
    error(text, retry) {
      el.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, text));
      if (retry) {
        const b = h('button', { type: 'button', class: 'button secondary small' }, 'Try again');
        b.addEventListener('click', retry);
        el.append(b);
      }
    },
    info(text) {
      el.replaceChildren(h('p', { class: 'muted' }, text));
    },
    clear() {
      el.replaceChildren();
    },
  };
}
