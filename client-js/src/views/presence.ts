// Who else is on the originator's session: join/leave toasts in the upper-right
// corner, and an indicator with the number of other connections whose tooltip lists
// each person (or "Anonymous") with their number of concurrent connections.
//
// The count comes from the gateway's roster (sent on attach, so it is right after a
// page reload, and after every change). Against a gateway without a roster, the
// join/leave notices alone keep the count, as the stock client does.

import { h, icon, uid } from '../dom';
import { plural } from '../format';
import type { Roster } from '../remote';
import { Toasts } from '../ui';

export class Presence {
  readonly indicator: HTMLElement;
  readonly toasts: Toasts;
  private readonly button: HTMLButtonElement;
  private readonly number: HTMLElement;
  private readonly tooltip: HTMLElement;
  private roster: Roster = { count: 0, users: [] };
  private haveRoster = false;
  /** Fallback bookkeeping from msg notices: attachment id → name ("" anonymous). */
  private readonly attached = new Map<string, string>();

  constructor() {
    const tipId = uid('presence-tip');
    this.number = h('span', { class: 'presence-count' }, '0');
    this.button = h(
      'button',
      { type: 'button', class: 'presence-button', 'aria-describedby': tipId },
      icon('users'),
      this.number,
    );
    this.tooltip = h('div', { class: 'presence-tooltip', role: 'tooltip', id: tipId });
    this.indicator = h('div', { class: 'presence', hidden: true }, this.button, this.tooltip);
    // Escape hides the tooltip until the pointer or focus leaves (WCAG 1.4.13).
    this.indicator.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') this.indicator.classList.add('tip-dismissed');
    });
    const undismiss = () => this.indicator.classList.remove('tip-dismissed');
    this.indicator.addEventListener('pointerleave', undismiss);
    this.indicator.addEventListener('focusout', undismiss);
    this.button.addEventListener('click', () => this.indicator.classList.toggle('tip-open'));
    this.toasts = new Toasts({ label: 'People joining and leaving', className: 'session-toasts' });
    this.render();
  }

  /** A viewer attached (`msg` 1). */
  joined(id: string, name: string): void {
    this.attached.set(id, name);
    this.toasts.show(name ? `${name} joined` : 'Anonymous joined', { kind: 'join' });
    if (!this.haveRoster) this.fromNotices();
  }

  /** A viewer detached (`msg` 2). */
  left(id: string, name: string): void {
    const known = this.attached.get(id);
    this.attached.delete(id);
    const who = name || known || '';
    this.toasts.show(who ? `${who} left` : 'Anonymous left', { kind: 'leave' });
    if (!this.haveRoster) this.fromNotices();
  }

  /** The gateway's full list; authoritative. */
  setRoster(r: Roster): void {
    this.haveRoster = true;
    this.roster = r;
    this.render();
  }

  /** Forget everyone (a new connection attempt). */
  reset(): void {
    this.haveRoster = false;
    this.attached.clear();
    this.roster = { count: 0, users: [] };
    this.render();
  }

  get count(): number {
    return this.roster.count;
  }

  get users(): Roster['users'] {
    return this.roster.users;
  }

  private fromNotices(): void {
    const byName = new Map<string, number>();
    for (const name of this.attached.values()) byName.set(name, (byName.get(name) ?? 0) + 1);
    const users = [...byName.entries()]
      .map(([name, connections]) => ({ name: name || 'Anonymous', anonymous: name === '', connections }))
      .sort((a, b) => Number(a.anonymous) - Number(b.anonymous) || a.name.localeCompare(b.name));
    this.roster = { count: this.attached.size, users };
    this.render();
  }

  private render(): void {
    const { count, users } = this.roster;
    this.indicator.hidden = count === 0;
    this.number.textContent = String(count);
    const people = users.length;
    this.button.setAttribute(
      'aria-label',
      `${plural(people, 'other person', 'other people')} on this session, ${plural(count, 'connection')}`,
    );
    this.tooltip.replaceChildren(
      h('p', { class: 'presence-tooltip-title' }, 'Also on this session'),
      h(
        'ul',
        {},
        ...users.map((u) =>
          h(
            'li',
            { class: u.anonymous ? 'anonymous' : '' },
            h('span', { class: 'presence-name' }, u.name),
            h('span', { class: 'presence-connections' }, plural(u.connections, 'connection')),
          ),
        ),
      ),
    );
  }
}
