// The originator's remote desktop, #/client/<connection id>.
//
// The display fills the window, is scaled to fit, and the remote size follows the
// window. The connection menu (Ctrl+Alt+Shift, or Ctrl+Shift+Win / Ctrl+Shift+Cmd,
// or the handle in the corner) holds the user's name, the "Sharing" menu when the
// connection has sharing profiles, the clipboard and the way out. Join/leave toasts
// and the user-count indicator sit in the upper-right corner.
//
// Browser tests read `window.porthole` (see PortholeDebug).

import { ApiError, sessionOfTunnel, type TunnelSession } from '../api';
import { browserTimezone, buildConnectString, supportedImageTypes } from '../connect-data';
import { h, icon, uid } from '../dom';
import { KeyInput, Remote, audioTypes, videoTypes, type Roster } from '../remote';
import { codeName, describeStatus, isTransient, needsSignIn, statusTitle } from '../status';
import { button, menuButton, popover, type MenuItem } from '../ui';
import { Presence } from './presence';
import { SharingPanel } from './sharing';
import type { View, AppContext } from './view';
import type { GuacClient, GuacTunnel } from '../guac';

export type Phase = 'connecting' | 'waiting' | 'connected' | 'reconnecting' | 'disconnected' | 'error';

/** What `window.porthole` holds while a remote desktop view is open. */
export interface PortholeDebug {
  /** `owner`: the user's own session; `viewer`: a share link or an administrator's watch/join. */
  role: 'owner' | 'viewer';
  connectionId: string | null;
  readonly client: GuacClient | null;
  readonly tunnel: GuacTunnel | null;
  /** Guacamole.Client state: IDLE 0, CONNECTING 1, WAITING 2, CONNECTED 3, DISCONNECTING 4, DISCONNECTED 5. */
  readonly state: number;
  /** Guacamole.Tunnel state: CONNECTING 0, OPEN 1, CLOSED 2, UNSTABLE 3. */
  readonly tunnelState: number;
  /** What the overlay shows. */
  phase: Phase;
  error: { code: number; message: string } | null;
  /** Connect data of the latest attempt, with the token and ticket removed. */
  connectData: string;
  /** The live session behind the tunnel, once known (owner only). */
  session: TunnelSession | null;
  /** Everyone else on the session (owner only). */
  roster: Roster;
  readOnly: boolean;
}

declare global {
  interface Window {
    porthole?: PortholeDebug;
  }
}

/** Hides secrets from the connect data kept for debugging. */
export function redact(data: string): string {
  const ticket = /(^|&)GUAC_TYPE=s(&|$)/.test(data);
  return data.replace(/(^|&)(token|GUAC_ID)=[^&]*/g, (whole, pre: string, name: string) =>
    name === 'GUAC_ID' && !ticket ? whole : `${pre}${name}=REDACTED`,
  );
}

const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000, 15000];
const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
export const MENU_SHORTCUT = isMac ? 'Ctrl+Shift+Cmd' : 'Ctrl+Shift+Win';

/** The pieces every remote-desktop view shares: screen, overlay, banner, phone keyboard. */
export function sessionFrame(label: string) {
  const display = h('div', { class: 'session-display' });
  const screen = h(
    'div',
    {
      class: 'session-screen',
      tabindex: '0',
      role: 'application',
      'aria-roledescription': 'remote desktop',
      'aria-label': label,
    },
    display,
  );
  const overlay = h('div', { class: 'session-overlay', role: 'status', 'aria-live': 'polite' });
  const unstable = h(
    'div',
    { class: 'session-banner', role: 'status', hidden: true },
    'The connection is unstable. Waiting for the server…',
  );
  // A hidden text field that the on-screen keyboard of a phone can type into.
  const textSink = h('textarea', {
    class: 'session-text-sink',
    'aria-label': 'Type to the remote desktop',
    autocapitalize: 'off',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  return { display, screen, overlay, unstable, textSink };
}

export function overlayCard(...children: (Node | null)[]): HTMLElement {
  const card = h('div', { class: 'card session-card' });
  for (const c of children) if (c) card.append(c);
  return card;
}

export function statusDetail(error: { code: number; message: string }): string {
  const name = codeName(error.code);
  const text = error.message.trim();
  const base = name ? `Code ${error.code} (${name})` : `Code ${error.code}`;
  return text && text !== String(error.code) ? `${base}: ${text}` : base;
}

export function sessionView(ctx: AppContext, connectionId: string): View {
  let remote: Remote | null = null;
  let info: TunnelSession | null = null;
  const presence = new Presence();
  const debug: PortholeDebug = {
    role: 'owner',
    connectionId,
    get client() {
      return remote?.client ?? null;
    },
    get tunnel() {
      return remote?.tunnel ?? null;
    },
    get state() {
      return remote?.clientState ?? 0;
    },
    get tunnelState() {
      return remote?.tunnel.state ?? 2;
    },
    phase: 'connecting',
    error: null,
    connectData: '',
    session: null,
    get roster() {
      return { count: presence.count, users: presence.users };
    },
    readOnly: false,
  };
  window.porthole = debug;

  let title = ctx.connectionName(connectionId) ?? 'remote desktop';
  const frame = sessionFrame(`Remote desktop: ${title}. Press ${MENU_SHORTCUT} or Ctrl+Alt+Shift for the menu.`);
  const { display, screen, overlay, unstable, textSink } = frame;

  // ------------------------------------------------------------ the connection menu
  const menuTitle = h('h2', { id: uid('menu-title') }, title);
  const sharing = new SharingPanel({ token: () => ctx.session()?.token ?? null, refresh: () => loadSession() });
  const sharingButton = h(
    'button',
    { type: 'button', class: 'button secondary small sharing-button', hidden: true },
    icon('share'),
    'Sharing',
    icon('chevron'),
  );
  const sharingPop = popover(sharingButton, sharing.element, {
    onopen: () => {
      void loadSession().then((i) => i && sharing.update(i));
      sharing.focusFirst();
    },
  });
  const me = ctx.session();
  const userName = me?.displayName || me?.username || 'You';
  const user = menuButton({
    label: [h('span', { class: 'avatar', 'aria-hidden': 'true' }, userName.charAt(0).toUpperCase()), h('span', { class: 'user-name' }, userName), icon('chevron')],
    ariaLabel: `Account menu for ${userName}`,
    class: 'button ghost user-button small',
    align: 'start',
    items: () => {
      const items: MenuItem[] = [
        { heading: me?.username ? `Signed in as ${me.username}` : 'Signed in' },
        { label: 'Home', icon: 'back', onselect: () => ctx.go({ name: 'connections' }) },
      ];
      if (me?.isAdmin) items.push({ label: 'Settings', icon: 'screen', onselect: () => ctx.go({ name: 'admin-connections' }) });
      items.push({ label: 'Sign out', icon: 'power', onselect: () => void ctx.signOut() });
      return items;
    },
  });

  const clipboardId = uid('clipboard');
  const clipboard = h('textarea', { id: clipboardId, class: 'clipboard', rows: '4', spellcheck: 'false' });
  let clipboardText = '';
  let clipTimer: number | undefined;
  clipboard.addEventListener('input', () => {
    window.clearTimeout(clipTimer);
    clipTimer = window.setTimeout(() => {
      clipboardText = clipboard.value;
      remote?.sendClipboard(clipboardText);
    }, 300);
  });

  const closeMenuButton = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close menu' }, icon('close'));
  const menu = h(
    'aside',
    { class: 'session-menu', role: 'dialog', 'aria-labelledby': menuTitle.id, hidden: true, tabindex: '-1' },
    h('div', { class: 'session-menu-head' }, h('div', {}, h('p', { class: 'eyebrow' }, 'Connection'), menuTitle), closeMenuButton),
    h('div', { class: 'session-menu-people' }, user.element, h('div', { class: 'sharing-wrap' }, sharingButton, sharing.element)),
    h(
      'section',
      { class: 'session-menu-section' },
      h('label', { for: clipboardId }, 'Clipboard'),
      h('p', { class: 'muted small' }, 'Text copied on the remote desktop shows up here. Type or paste here to send text to it.'),
      clipboard,
    ),
    h(
      'section',
      { class: 'session-menu-section session-menu-actions' },
      button([icon('keyboard'), 'Show keyboard'], () => {
        closeMenu();
        textSink.focus();
      }, { class: 'touch-only' }),
      button([icon('back'), 'Back to connections'], () => ctx.go({ name: 'connections' })),
      button([icon('power'), 'Disconnect'], () => {
        closeMenu();
        endOnPurpose();
      }, { class: 'danger-text' }),
    ),
    h('p', { class: 'muted small shortcut-hint' }, `${MENU_SHORTCUT} or Ctrl+Alt+Shift opens and closes this menu.`),
  );

  const handle = h(
    'button',
    { type: 'button', class: 'session-tool', 'aria-label': 'Open the connection menu', title: `Menu (${MENU_SHORTCUT})`, 'aria-expanded': 'false' },
    icon('menu'),
  );

  function openMenu(): void {
    if (!menu.hidden) return;
    keys.release();
    menu.hidden = false;
    handle.setAttribute('aria-expanded', 'true');
    root.classList.add('menu-open');
    clipboard.value = clipboardText;
    void loadSession();
    menu.focus();
    (menu.querySelector<HTMLElement>('.sharing-button:not([hidden])') ?? closeMenuButton).focus();
  }
  function closeMenu(): void {
    if (menu.hidden) return;
    sharingPop.close();
    menu.hidden = true;
    handle.setAttribute('aria-expanded', 'false');
    root.classList.remove('menu-open');
    screen.focus({ preventScroll: true });
  }
  handle.addEventListener('click', () => (menu.hidden ? openMenu() : closeMenu()));
  closeMenuButton.addEventListener('click', closeMenu);
  menu.addEventListener('keydown', (ev) => {
    const chord = ev.ctrlKey && ev.shiftKey && (ev.altKey || ev.metaKey);
    if (ev.key === 'Escape' && sharingPop.isOpen()) {
      ev.preventDefault();
      sharingPop.close(true);
    } else if (ev.key === 'Escape' || chord) {
      ev.preventDefault();
      closeMenu();
    }
  });
  screen.addEventListener('pointerdown', () => closeMenu());
  // Escape with the focus lost to the page (e.g. on a control that re-rendered).
  const onDocumentKey = (ev: KeyboardEvent) => {
    if (ev.key !== 'Escape' || menu.hidden || ev.defaultPrevented) return;
    if (ev.target instanceof Node && menu.contains(ev.target)) return;
    ev.preventDefault();
    if (sharingPop.isOpen()) sharingPop.close(true);
    else closeMenu();
  };
  document.addEventListener('keydown', onDocumentKey);

  const root = h(
    'main',
    { class: 'session' },
    screen,
    h('div', { class: 'session-toolbar' }, handle),
    h('div', { class: 'session-corner' }, presence.indicator, presence.toasts.element),
    unstable,
    menu,
    overlay,
    textSink,
  );

  const keys = new KeyInput(screen, [textSink]);
  keys.onmenu = () => openMenu();

  // ------------------------------------------------------------ the live session (REST)
  let sessionLoad: Promise<TunnelSession | null> | null = null;
  let retriedLookup = false;
  async function loadSession(): Promise<TunnelSession | null> {
    const uuid = remote?.uuid;
    const token = ctx.session()?.token;
    if (!uuid || !token || !remote?.connected) return info;
    sessionLoad ??= (async () => {
      try {
        const s = await sessionOfTunnel(token, uuid);
        if (remote?.uuid !== uuid) return info;
        info = s;
        debug.session = s;
        sharingButton.hidden = s.sharing_profiles.length === 0;
        if (sharingButton.hidden) sharingPop.close();
        sharing.update(s);
        if (s.connection_name && title !== s.connection_name) setTitle(s.connection_name);
        return s;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) ctx.signedOut('Your sign-in has expired. Sign in again.');
        // Not registered yet (the gateway was still attaching): look once more shortly.
        if (e instanceof ApiError && e.status === 404 && !info && !retriedLookup) {
          retriedLookup = true;
          window.setTimeout(() => void loadSession(), 1500);
        }
        return info;
      } finally {
        sessionLoad = null;
      }
    })();
    return sessionLoad;
  }

  function setTitle(t: string): void {
    title = t;
    menuTitle.textContent = t;
    document.title = `${t} · Porthole`;
    screen.setAttribute('aria-label', `Remote desktop: ${t}. Press ${MENU_SHORTCUT} or Ctrl+Alt+Shift for the menu.`);
  }

  // ------------------------------------------------------------ overlay
  let destroyed = false;
  let attempt = 0;
  let retries = 0;
  let retryTimer: number | undefined;

  function setPhase(phase: Phase, error: { code: number; message: string } | null = null): void {
    debug.phase = phase;
    debug.error = error;
    root.dataset.phase = phase;
    renderOverlay();
  }

  function renderOverlay(): void {
    const phase = debug.phase;
    overlay.hidden = phase === 'connected';
    if (overlay.hidden) {
      overlay.replaceChildren();
      return;
    }
    const cancel = button('Cancel', () => ctx.go({ name: 'connections' }));
    if (phase === 'connecting' || phase === 'waiting' || phase === 'reconnecting') {
      const heading =
        phase === 'reconnecting'
          ? `Reconnecting to ${title}…`
          : phase === 'connecting'
            ? `Connecting to ${title}…`
            : `Waiting for ${title}…`;
      overlay.replaceChildren(
        overlayCard(
          h('div', { class: 'spinner', 'aria-hidden': 'true' }),
          h('h1', {}, heading),
          phase === 'reconnecting'
            ? h('p', { class: 'muted' }, `The connection dropped. Attempt ${retries} of ${RETRY_DELAYS_MS.length}.`)
            : null,
          h('div', { class: 'actions' }, cancel),
        ),
      );
      return;
    }

    const actions = h('div', { class: 'actions' });
    if (phase === 'error' && debug.error && needsSignIn(debug.error.code)) {
      actions.append(button('Sign in again', () => ctx.signedOut('Your sign-in has expired. Sign in again.'), { kind: 'primary' }));
    } else {
      actions.append(button('Reconnect', () => void connect(), { kind: 'primary' }));
    }
    actions.append(button('Back to connections', () => ctx.go({ name: 'connections' })));

    if (phase === 'error' && debug.error) {
      overlay.replaceChildren(
        overlayCard(
          h('h1', {}, statusTitle(debug.error.code)),
          h('p', { class: 'error-text', role: 'alert' }, describeStatus(debug.error.code)),
          h('p', { class: 'muted detail' }, statusDetail(debug.error)),
          actions,
        ),
      );
    } else {
      overlay.replaceChildren(
        overlayCard(h('h1', {}, 'Disconnected'), h('p', {}, `The session with ${title} has ended.`), actions),
      );
    }
    actions.querySelector('button')?.focus();
  }

  // ------------------------------------------------------------ connecting
  function teardown(): void {
    keys.attach(null);
    remote?.destroy();
    remote = null;
    info = null;
    retriedLookup = false;
    debug.session = null;
    sharingButton.hidden = true;
    sharingPop.close();
    presence.reset();
    window.clearTimeout(retryTimer);
  }

  function endOnPurpose(): void {
    if (!remote) return;
    keys.attach(null);
    remote.disconnect();
    setPhase('disconnected');
  }

  async function connect(isRetry = false): Promise<void> {
    teardown();
    if (!isRetry) retries = 0;
    const thisAttempt = ++attempt;
    setPhase(isRetry ? 'reconnecting' : 'connecting');

    const session = ctx.session();
    if (!session) {
      ctx.signedOut('Sign in to open a connection.');
      return;
    }
    const image = await supportedImageTypes();
    if (destroyed || thisAttempt !== attempt) return;

    const r = new Remote(
      { container: display, interactive: true, resizeRemote: true, onpointerdown: () => screen.focus({ preventScroll: true }) },
      {
        onstate: (state) => {
          if (remote !== r) return;
          if (state === 'connected') {
            retries = 0;
            setPhase('connected');
            screen.focus({ preventScroll: true });
            void loadSession();
          } else if (state === 'disconnected') {
            if (debug.phase !== 'error') setPhase('disconnected');
            keys.attach(null);
          } else if (debug.phase !== 'reconnecting') {
            setPhase(state);
          }
        },
        onerror: (f) => {
          if (remote !== r) return;
          keys.attach(null);
          if (isTransient(f.code, f.message) && retries < RETRY_DELAYS_MS.length && !destroyed) {
            const delay = RETRY_DELAYS_MS[retries];
            retries += 1;
            setPhase('reconnecting');
            window.clearTimeout(retryTimer);
            retryTimer = window.setTimeout(() => void connect(true), delay);
            return;
          }
          setPhase('error', { code: f.code, message: f.message });
        },
        onname: (name) => {
          if (name && !ctx.connectionName(connectionId) && !info) setTitle(name);
        },
        onjoin: (id, name) => presence.joined(id, name),
        onleave: (id, name) => presence.left(id, name),
        onroster: (roster) => presence.setRoster(roster),
        onclipboard: (text) => {
          clipboardText = text;
          if (!menu.hidden && document.activeElement !== clipboard) clipboard.value = text;
          // Best effort: browsers allow this only while the page has focus.
          navigator.clipboard?.writeText(text).catch(() => undefined);
        },
        onunstable: (u) => {
          unstable.hidden = !u;
        },
      },
    );
    remote = r;
    keys.attach(r);

    const g = r.geometry();
    const data = buildConnectString({
      token: session.token,
      connectionId,
      type: 'c',
      width: g.width,
      height: g.height,
      dpi: g.dpi,
      timezone: browserTimezone(),
      image,
      audio: audioTypes(),
      video: videoTypes(),
    });
    debug.connectData = redact(data);
    r.connect(data);
  }

  // Local clipboard → remote, when the browser lets us read it without asking.
  async function syncLocalClipboard(): Promise<void> {
    if (!remote?.connected || !navigator.clipboard?.readText) return;
    try {
      const perm = await navigator.permissions?.query({ name: 'clipboard-read' as PermissionName });
      if (perm?.state !== 'granted') return;
      const text = await navigator.clipboard.readText();
      if (text && text !== clipboardText) {
        clipboardText = text;
        remote.sendClipboard(text);
      }
    } catch {
      // not allowed: the menu's clipboard field remains
    }
  }
  screen.addEventListener('focus', () => void syncLocalClipboard());

  const onOnline = () => {
    if (debug.phase === 'reconnecting') {
      window.clearTimeout(retryTimer);
      void connect(true);
    }
  };
  window.addEventListener('online', onOnline);

  document.title = `${title} · Porthole`;

  return {
    element: root,
    fullscreen: true,
    mounted() {
      screen.focus({ preventScroll: true });
      void connect(); // after mounting, so the display area has its real size
    },
    destroy() {
      destroyed = true;
      attempt++;
      window.removeEventListener('online', onOnline);
      document.removeEventListener('keydown', onDocumentKey);
      window.clearTimeout(clipTimer);
      // Leaving the view is leaving the session: say so, so it ends now.
      if (remote) {
        keys.attach(null);
        remote.disconnect();
        remote = null;
      }
      teardown();
      if (window.porthole === debug) delete window.porthole;
    },
  };
}
