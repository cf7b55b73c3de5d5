// Someone else's live session: opened from a share link (#/share/<key>, no sign-in
// needed) or by an administrator from Active Sessions (#/watch/<id>, #/join/<id>).
//
// A share-link viewer gets the live session only: no user menu, no sharing menu, a
// discreet "View only" badge when the link is read-only, and a clear page when the
// link is invalid or the session has ended. Tickets are single-use and short-lived,
// so every (re)connection asks for a fresh one.

import {
  ApiError,
  NetworkError,
  errorText,
  joinSession,
  redeemShare,
  watchSession,
  type JoinTicket,
} from '../api';
import { browserTimezone, buildConnectString, supportedImageTypes } from '../connect-data';
import { brand, h, icon } from '../dom';
import { KeyInput, Remote, audioTypes, videoTypes } from '../remote';
import { Code, describeStatus, isTransient, statusTitle } from '../status';
import { button } from '../ui';
import { overlayCard, redact, sessionFrame, statusDetail, type Phase, type PortholeDebug } from './session';
import type { AppContext, View } from './view';

export type ViewerSource = { kind: 'link'; key: string } | { kind: 'admin'; sessionId: string; control: boolean };

const RETRY_DELAYS_MS = [1000, 2000, 4000, 8000];

type Ending =
  | { kind: 'invalid' }
  | { kind: 'ended' }
  | { kind: 'left' }
  | { kind: 'error'; code: number; message: string }
  | { kind: 'ticket-error'; text: string };

export function viewerView(ctx: AppContext, source: ViewerSource): View {
  let remote: Remote | null = null;
  let ticket: JoinTicket | null = null;
  const debug: PortholeDebug = {
    role: 'viewer',
    connectionId: null,
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
    roster: { count: 0, users: [] },
    readOnly: true,
  };
  window.porthole = debug;

  const admin = source.kind === 'admin';
  const signedIn = ctx.session() !== null;
  const frame = sessionFrame('Shared remote desktop');
  const { display, screen, overlay, unstable, textSink } = frame;

  const badge = h('span', { class: 'viewer-badge', hidden: true }, icon('eye'), 'View only');
  const info = h('span', { class: 'viewer-info' });
  const leaveTarget = admin ? 'Back to active sessions' : 'Back to connections';
  const leave = () => ctx.go(admin ? { name: 'admin-sessions' } : { name: 'connections' });
  const toolbar = h(
    'div',
    { class: 'session-toolbar viewer-toolbar' },
    // Anonymous viewers get the live session only: no way into an app they have no account for.
    signedIn
      ? h('button', { type: 'button', class: 'session-tool', 'aria-label': leaveTarget, title: leaveTarget, onclick: leave }, icon('back'))
      : null,
    badge,
    admin ? info : null,
  );

  const root = h('main', { class: 'session viewer' }, screen, toolbar, unstable, overlay, textSink);
  const keys = new KeyInput(screen, [textSink]);

  let destroyed = false;
  let attempt = 0;
  let retries = 0;
  let retryTimer: number | undefined;
  let ending: Ending | null = null;

  function setPhase(phase: Phase, error: { code: number; message: string } | null = null): void {
    debug.phase = phase;
    debug.error = error;
    root.dataset.phase = phase;
    render();
  }

  const who = () => (ticket ? `${ticket.shared_by}’s session on ${ticket.connection_name}` : 'the shared session');

  function render(): void {
    const phase = debug.phase;
    root.classList.toggle('solid', ending !== null && ending.kind !== 'error');
    overlay.hidden = phase === 'connected';
    if (overlay.hidden) {
      overlay.replaceChildren();
      return;
    }
    if (phase === 'connecting' || phase === 'waiting' || phase === 'reconnecting') {
      overlay.replaceChildren(
        overlayCard(
          h('div', { class: 'spinner', 'aria-hidden': 'true' }),
          h('h1', {}, phase === 'reconnecting' ? 'Reconnecting…' : ticket ? `Joining ${who()}…` : 'Opening the shared session…'),
          signedIn ? h('div', { class: 'actions' }, button('Cancel', leave)) : null,
        ),
      );
      return;
    }

    const actions = h('div', { class: 'actions' });
    const reconnect = button('Reconnect', () => void connect(), { kind: 'primary' });
    const home = signedIn ? button(leaveTarget, leave) : null;
    let card: HTMLElement;
    switch (ending?.kind) {
      case 'invalid':
        card = overlayCard(
          h('div', { class: 'big-icon', 'aria-hidden': 'true' }, icon('link')),
          h('h1', {}, 'This link no longer works'),
          h(
            'p',
            {},
            admin
              ? 'This session has ended.'
              : 'The session it shared may have ended, or the link expired, was used up or was revoked.',
          ),
          admin ? null : h('p', { class: 'muted' }, 'Ask the person who shared it for a new link.'),
          home ? h('div', { class: 'actions' }, home) : null,
        );
        break;
      case 'ended':
        card = overlayCard(
          h('div', { class: 'big-icon', 'aria-hidden': 'true' }, icon('power')),
          h('h1', {}, 'The session has ended'),
          h('p', {}, ticket ? `${ticket.shared_by}’s session on ${ticket.connection_name} is over.` : 'The shared session is over.'),
          h('p', { class: 'muted' }, 'Its links no longer work. Ask for a new one if you need to join again.'),
          home ? h('div', { class: 'actions' }, home) : null,
        );
        break;
      case 'left':
        actions.append(reconnect);
        if (home) actions.append(home);
        card = overlayCard(h('h1', {}, 'Disconnected'), h('p', {}, `You are no longer connected to ${who()}.`), actions);
        break;
      case 'ticket-error':
        actions.append(button('Try again', () => void connect(), { kind: 'primary' }));
        if (home) actions.append(home);
        card = overlayCard(h('h1', {}, 'Could not open the session'), h('p', { class: 'error-text', role: 'alert' }, ending.text), actions);
        break;
      default: {
        const e = debug.error ?? { code: Code.SERVER_ERROR, message: '' };
        actions.append(reconnect);
        if (home) actions.append(home);
        card = overlayCard(
          h('h1', {}, statusTitle(e.code, 'viewer')),
          h('p', { class: 'error-text', role: 'alert' }, describeStatus(e.code, 'viewer')),
          h('p', { class: 'muted detail' }, statusDetail(e)),
          actions,
        );
      }
    }
    card.classList.add(`ending-${ending?.kind ?? 'error'}`);
    if (ending && ending.kind !== 'error') card.prepend(h('div', { class: 'card-mark' }, brand()));
    overlay.replaceChildren(card);
    card.querySelector('button')?.focus();
  }

  function finish(e: Ending): void {
    ending = e;
    keys.attach(null);
    if (e.kind === 'error') setPhase('error', { code: e.code, message: e.message });
    else if (e.kind === 'ticket-error') setPhase('error', { code: Code.SERVER_ERROR, message: e.text });
    else if (e.kind === 'left') setPhase('disconnected');
    else setPhase('error', { code: e.kind === 'ended' ? Code.SESSION_CLOSED : Code.RESOURCE_NOT_FOUND, message: '' });
    document.title = e.kind === 'invalid' ? 'Link no longer valid · Porthole' : e.kind === 'ended' ? 'Session ended · Porthole' : document.title;
  }

  async function getTicket(): Promise<JoinTicket | null> {
    const token = ctx.session()?.token ?? null;
    try {
      if (source.kind === 'link') return await redeemShare(source.key, token);
      if (!token) return null;
      return await (source.control ? joinSession(token, source.sessionId) : watchSession(token, source.sessionId));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) finish({ kind: 'invalid' });
      else if (e instanceof ApiError && e.status === 401 && admin) ctx.signedOut('Your sign-in has expired. Sign in again.');
      else if (e instanceof NetworkError && retries < RETRY_DELAYS_MS.length) scheduleRetry();
      else finish({ kind: 'ticket-error', text: errorText(e, 'The session could not be opened.') });
      return null;
    }
  }

  function scheduleRetry(): void {
    const delay = RETRY_DELAYS_MS[retries];
    retries += 1;
    ending = null;
    setPhase('reconnecting');
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(() => void connect(true), delay);
  }

  function teardown(): void {
    keys.attach(null);
    remote?.destroy();
    remote = null;
    window.clearTimeout(retryTimer);
  }

  async function connect(isRetry = false): Promise<void> {
    teardown();
    if (!isRetry) retries = 0;
    ending = null;
    const thisAttempt = ++attempt;
    setPhase(isRetry ? 'reconnecting' : 'connecting');

    const [t, image] = await Promise.all([getTicket(), supportedImageTypes()]);
    if (destroyed || thisAttempt !== attempt || !t) return;
    ticket = t;
    debug.readOnly = t.read_only;
    badge.hidden = !t.read_only;
    info.textContent = admin ? `${t.shared_by} · ${t.connection_name} · ${t.read_only ? 'watching' : 'joined with control'}` : '';
    document.title = `${t.connection_name} (shared by ${t.shared_by}) · Porthole`;
    screen.setAttribute(
      'aria-label',
      `Shared remote desktop: ${t.connection_name}, shared by ${t.shared_by}${t.read_only ? ', view only' : ''}`,
    );
    if (isRetry || debug.phase === 'connecting') setPhase(isRetry ? 'reconnecting' : 'connecting');

    const interactive = !t.read_only;
    const r = new Remote(
      { container: display, interactive, resizeRemote: false, onpointerdown: () => screen.focus({ preventScroll: true }) },
      {
        onstate: (state) => {
          if (remote !== r) return;
          if (state === 'connected') {
            retries = 0;
            setPhase('connected');
            screen.focus({ preventScroll: true });
          } else if (state === 'disconnected') {
            if (debug.phase !== 'error') finish({ kind: 'left' });
          } else if (debug.phase !== 'reconnecting') {
            setPhase(state);
          }
        },
        onerror: (f) => {
          if (remote !== r) return;
          if (f.code === Code.SESSION_CLOSED) finish({ kind: 'ended' });
          else if (f.code === Code.RESOURCE_NOT_FOUND) finish({ kind: 'invalid' });
          else if (isTransient(f.code, f.message) && retries < RETRY_DELAYS_MS.length && !destroyed) scheduleRetry();
          else finish({ kind: 'error', code: f.code, message: f.message });
        },
        onclipboard: (text) => {
          if (interactive) navigator.clipboard?.writeText(text).catch(() => undefined);
        },
        onunstable: (u) => {
          unstable.hidden = !u;
        },
      },
    );
    remote = r;
    if (interactive) keys.attach(r);

    const g = r.geometry();
    const data = buildConnectString({
      token: ctx.session()?.token ?? null,
      connectionId: t.ticket,
      type: 's',
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

  const onOnline = () => {
    if (debug.phase === 'reconnecting') {
      window.clearTimeout(retryTimer);
      void connect(true);
    }
  };
  window.addEventListener('online', onOnline);
  document.title = 'Shared session · Porthole';

  return {
    element: root,
    fullscreen: true,
    mounted() {
      screen.focus({ preventScroll: true });
      void connect();
    },
    destroy() {
      destroyed = true;
      attempt++;
      window.removeEventListener('online', onOnline);
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
