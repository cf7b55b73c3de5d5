// The "Sharing" panel of the connection menu: the connection's sharing profiles;
// choosing one mints a share URL (shown with a copy button), with options for how
// long the link lives and how many times it may be used, and the list of this
// session's live links with revoke.

import { errorText, mintLink, revokeLink, type ShareLink, type SharingProfile, type TunnelSession } from '../api';
import { h, icon, uid } from '../dom';
import { formatWhen, plural, relative } from '../format';
import { keepOnly, rememberUrl, urlOf } from '../share-links';
import { copyText } from '../ui';

const EXPIRY_CHOICES: [string, number | null][] = [
  ['With the session', null],
  ['In 15 minutes', 15 * 60],
  ['In 1 hour', 3600],
  ['In 8 hours', 8 * 3600],
  ['In 1 day', 24 * 3600],
  ['In 7 days', 7 * 24 * 3600],
];

const USES_CHOICES: [string, number | null][] = [
  ['Unlimited', null],
  ['Once', 1],
  ['5 times', 5],
  ['10 times', 10],
  ['25 times', 25],
];

function accessLabel(readOnly: boolean): string {
  return readOnly ? 'View only' : 'Full control';
}

function select(id: string, choices: [string, number | null][]): HTMLSelectElement {
  return h(
    'select',
    { id },
    ...choices.map(([label, value], i) => h('option', { value: value === null ? '' : String(value), selected: i === 0 }, label)),
  );
}

export interface SharingPanelOptions {
  token(): string | null;
  /** Fetches the session again (profiles and links). */
  refresh(): Promise<TunnelSession | null>;
}

export class SharingPanel {
  readonly element: HTMLElement;
  private readonly profilesEl: HTMLElement;
  private readonly resultEl: HTMLElement;
  private readonly linksEl: HTMLElement;
  private readonly errorEl: HTMLElement;
  private readonly expiry: HTMLSelectElement;
  private readonly uses: HTMLSelectElement;
  private info: TunnelSession | null = null;
  private busy = false;

  constructor(private readonly opts: SharingPanelOptions) {
    const expiryId = uid('share-expiry');
    const usesId = uid('share-uses');
    this.expiry = select(expiryId, EXPIRY_CHOICES);
    this.uses = select(usesId, USES_CHOICES);
    this.profilesEl = h('ul', { class: 'share-profiles', 'aria-label': 'Sharing profiles' });
    this.resultEl = h('div', { class: 'share-result', 'aria-live': 'polite' });
    this.linksEl = h('div', { class: 'share-links' });
    this.errorEl = h('p', { class: 'error-text', role: 'alert', hidden: true });
    const titleId = uid('share-title');
    this.element = h(
      'div',
      { class: 'share-panel', role: 'dialog', 'aria-labelledby': titleId, tabindex: '-1' },
      h('h3', { id: titleId }, 'Share this session'),
      h('p', { class: 'muted small' }, 'Pick a profile to create a link. Anyone who opens it joins this session while it lasts.'),
      h(
        'div',
        { class: 'share-options' },
        h('div', { class: 'field compact' }, h('label', { for: expiryId }, 'Link expires'), this.expiry),
        h('div', { class: 'field compact' }, h('label', { for: usesId }, 'Can be used'), this.uses),
      ),
      this.profilesEl,
      this.errorEl,
      this.resultEl,
      this.linksEl,
    );
  }

  /** Whether the connection has at least one sharing profile. */
  get available(): boolean {
    return (this.info?.sharing_profiles.length ?? 0) > 0;
  }

  update(info: TunnelSession): void {
    this.info = info;
    keepOnly(info.id, info.links.map((l) => l.id));
    // Re-rendering must not lose the keyboard focus of someone using the panel.
    const focused = document.activeElement instanceof HTMLElement && this.element.contains(document.activeElement)
      ? document.activeElement
      : null;
    const key = focused?.dataset.focusKey ?? null;
    this.renderProfiles(info.sharing_profiles);
    this.renderLinks(info.links);
    if (focused && !focused.isConnected) {
      const again = key ? this.element.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(key)}"]`) : null;
      (again ?? this.element).focus();
    }
  }

  /** Moves focus to the first profile (when the panel opens from the keyboard). */
  focusFirst(): void {
    this.profilesEl.querySelector<HTMLElement>('button')?.focus();
  }

  private showError(text: string | null): void {
    this.errorEl.hidden = text === null;
    this.errorEl.textContent = text ?? '';
  }

  private renderProfiles(profiles: SharingProfile[]): void {
    this.profilesEl.replaceChildren(
      ...[...profiles]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => {
          const b = h(
            'button',
            { type: 'button', class: 'share-profile', 'data-profile-id': p.id, 'data-focus-key': `profile-${p.id}` },
            icon(p.read_only ? 'eye' : 'share'),
            h('span', { class: 'share-profile-name' }, p.name),
            h('span', { class: `tag ${p.read_only ? 'tag-readonly' : 'tag-control'}` }, accessLabel(p.read_only)),
          );
          b.setAttribute('aria-label', `Create a link: ${p.name}, ${accessLabel(p.read_only).toLowerCase()}`);
          b.addEventListener('click', () => void this.mint(p, b));
          return h('li', {}, b);
        }),
    );
  }

  private async mint(profile: SharingProfile, b: HTMLButtonElement): Promise<void> {
    const token = this.opts.token();
    if (!this.info || !token || this.busy) return;
    this.busy = true;
    b.setAttribute('aria-busy', 'true');
    this.showError(null);
    const body: { profile_id: string; expires_in_secs?: number; max_uses?: number } = { profile_id: profile.id };
    if (this.expiry.value) body.expires_in_secs = Number(this.expiry.value);
    if (this.uses.value) body.max_uses = Number(this.uses.value);
    try {
      const link = await mintLink(token, this.info.id, body);
      rememberUrl(this.info.id, link.id, link.url);
      this.showResult(link.url, link);
      const info = await this.opts.refresh();
      if (info) this.update(info);
    } catch (e) {
      this.showError(errorText(e, 'The link could not be created.'));
    } finally {
      this.busy = false;
      b.removeAttribute('aria-busy');
    }
  }

  private showResult(url: string, link: ShareLink): void {
    const fieldId = uid('share-url');
    const field = h('input', { id: fieldId, class: 'share-url', type: 'text', readonly: true, value: url, spellcheck: 'false' });
    field.value = url;
    const copied = h('span', { class: 'copied', role: 'status' });
    const copy = h('button', { type: 'button', class: 'button primary small copy-button' }, icon('copy'), 'Copy link');
    copy.addEventListener('click', async () => {
      const ok = await copyText(url, field);
      copied.textContent = ok ? 'Copied' : 'Press Ctrl+C to copy';
    });
    field.addEventListener('focus', () => field.select());
    this.resultEl.replaceChildren(
      h(
        'div',
        { class: 'share-new' },
        h('label', { for: fieldId }, `New link: ${link.profile_name} (${accessLabel(link.read_only).toLowerCase()})`),
        h('div', { class: 'share-url-row' }, field, copy),
        copied,
        h('p', { class: 'muted small' }, 'The link is shown only here, in this tab. Copy it now.'),
      ),
    );
    copy.focus();
  }

  private renderLinks(links: ShareLink[]): void {
    if (!this.info || links.length === 0) {
      this.linksEl.replaceChildren();
      return;
    }
    const sessionId = this.info.id;
    const items = [...links]
      .sort((a, b) => b.created_at - a.created_at)
      .map((l) => {
        const url = urlOf(sessionId, l.id);
        const expiry = l.expires_at === null ? 'no expiry' : `expires ${relative(l.expires_at)}`;
        const uses = l.max_uses === null ? plural(l.uses, 'use') : `${l.uses} of ${plural(l.max_uses, 'use')}`;
        const revoke = h('button', { type: 'button', class: 'button ghost small danger-text', 'data-focus-key': `revoke-${l.id}` }, 'Revoke');
        revoke.setAttribute('aria-label', `Revoke link ${l.profile_name} created ${formatWhen(l.created_at)}`);
        revoke.addEventListener('click', () => void this.revoke(l, revoke));
        let copy: HTMLButtonElement | null = null;
        if (url) {
          copy = h('button', { type: 'button', class: 'button ghost small', 'data-focus-key': `copy-${l.id}` }, 'Copy');
          copy.setAttribute('aria-label', `Copy link ${l.profile_name} created ${formatWhen(l.created_at)}`);
          const c = copy;
          copy.addEventListener('click', async () => {
            c.textContent = (await copyText(url)) ? 'Copied' : 'Copy failed';
          });
        }
        return h(
          'li',
          { class: 'share-link', 'data-link-id': l.id },
          h(
            'div',
            { class: 'share-link-text' },
            h('span', { class: 'share-link-name' }, h('span', {}, l.profile_name), h('span', { class: `tag ${l.read_only ? 'tag-readonly' : 'tag-control'}` }, accessLabel(l.read_only))),
            h('span', { class: 'muted small' }, `${formatWhen(l.created_at)} · ${expiry} · ${uses}`),
          ),
          h('div', { class: 'share-link-actions' }, copy, revoke),
        );
      });
    this.linksEl.replaceChildren(h('h4', {}, `Links for this session (${links.length})`), h('ul', {}, ...items));
  }

  private async revoke(link: ShareLink, b: HTMLButtonElement): Promise<void> {
    const token = this.opts.token();
    if (!this.info || !token) return;
    b.disabled = true;
    this.showError(null);
    try {
      await revokeLink(token, this.info.id, link.id);
      const info = await this.opts.refresh();
      if (info) this.update(info);
      this.resultEl.replaceChildren(h('p', { class: 'muted small', role: 'status' }, `Link “${link.profile_name}” revoked.`));
      if (!b.isConnected) this.element.focus();
    } catch (e) {
      b.disabled = false;
      this.showError(errorText(e, 'The link could not be revoked.'));
    }
  }
}
