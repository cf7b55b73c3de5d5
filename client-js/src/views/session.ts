// The remote desktop view, #/client/<connection id>.
//
// One Guacamole.WebSocketTunnel + Guacamole.Client per attempt; "Reconnect" builds
// fresh ones (a disconnected Client is not reused). The display fills the window,
// is scaled to fit, and the remote size follows the window (client.sendSize).
// Browser tests read `window.porthole` (see PortholeDebug below).

import Guacamole, { ClientState, TunnelState, type GuacClient, type GuacStatus, type GuacTunnel } from '../guac';
import { browserTimezone, buildConnectString, screenGeometry, supportedImageTypes } from '../connect-data';
import { describeStatus, needsSignIn } from '../status';
import { h, clear } from '../dom';
import type { View, AppContext } from './view';

export type Phase = 'connecting' | 'waiting' | 'connected' | 'disconnected' | 'error';

/** What `window.porthole` holds while a session view is open. */
export interface PortholeDebug {
  connectionId: string;
  client: GuacClient | null;
  tunnel: GuacTunnel | null;
  /** Guacamole.Client state: IDLE 0, CONNECTING 1, WAITING 2, CONNECTED 3, DISCONNECTING 4, DISCONNECTED 5. */
  state: number;
  /** Guacamole.Tunnel state: CONNECTING 0, OPEN 1, CLOSED 2, UNSTABLE 3. */
  tunnelState: number;
  /** What the overlay shows. */
  phase: Phase;
  error: { code: number; message: string } | null;
  /** Connect data of the latest attempt, with the token removed. */
  connectData: string;
}

declare global {
  interface Window {
    porthole?: PortholeDebug;
  }
}

const RESIZE_DEBOUNCE_MS = 250;

/** "Code 515" plus the server's text when it says more than the number itself. */
function statusDetail(error: { code: number; message: string }): string {
  const text = error.message.trim();
  return text && text !== String(error.code) ? `Code ${error.code}: ${text}` : `Code ${error.code}`;
}

export function sessionView(ctx: AppContext, connectionId: string): View {
  const debug: PortholeDebug = {
    connectionId,
    client: null,
    tunnel: null,
    state: ClientState.IDLE,
    tunnelState: TunnelState.CLOSED,
    phase: 'connecting',
    error: null,
    connectData: '',
  };
  window.porthole = debug;

  let title = ctx.connectionName(connectionId) ?? 'remote desktop';

  const displayHost = h('div', { class: 'session-display' });
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

  const backButton = h(
    'button',
    { type: 'button', class: 'session-tool', 'aria-label': 'Back to connections', title: 'Back to connections' },
    '←',
  );
  backButton.addEventListener('click', () => ctx.go({ name: 'connections' }));

  const keyboardButton = h(
    'button',
    { type: 'button', class: 'session-tool', 'aria-label': 'Show keyboard', title: 'Show keyboard' },
    '⌨',
  );
  keyboardButton.addEventListener('click', () => textSink.focus());

  const toolbar = h('div', { class: 'session-toolbar' }, backButton, keyboardButton);

  const root = h(
    'main',
    { class: 'session', tabindex: '0', 'aria-label': `Remote desktop: ${title}` },
    displayHost,
    toolbar,
    unstable,
    overlay,
    textSink,
  );

  // Keyboard events go to the session element (focused on click/connect) and to the
  // text sink; not to the whole document, so the rest of the app keeps its keys.
  const keyboard = new Guacamole.Keyboard(root);
  keyboard.listenTo(textSink);

  let client: GuacClient | null = null;
  let tunnel: GuacTunnel | null = null;
  let destroyed = false;
  let attempt = 0;
  let lastSize = { width: 0, height: 0 };
  let resizeTimer: number | undefined;

  function setPhase(phase: Phase, error: { code: number; message: string } | null = null): void {
    debug.phase = phase;
    debug.error = error;
    root.dataset.phase = phase;
    renderOverlay();
  }

  function renderOverlay(): void {
    clear(overlay);
    const phase = debug.phase;
    if (phase === 'connected') {
      overlay.hidden = true;
      return;
    }
    overlay.hidden = false;

    const card = h('div', { class: 'card session-card' });
    overlay.appendChild(card);

    if (phase === 'connecting' || phase === 'waiting') {
      card.append(
        h('div', { class: 'spinner', 'aria-hidden': 'true' }),
        h('h1', {}, phase === 'connecting' ? `Connecting to ${title}…` : `Waiting for ${title}…`),
        h('div', { class: 'actions' }, button('Cancel', 'secondary', () => ctx.go({ name: 'connections' }))),
      );
      return;
    }

    const actions = h('div', { class: 'actions' });
    if (phase === 'error' && debug.error && needsSignIn(debug.error.code)) {
      actions.append(button('Sign in again', 'primary', () => ctx.signedOut('Your sign-in has expired. Sign in again.')));
    } else {
      actions.append(button('Reconnect', 'primary', () => connect()));
    }
    actions.append(button('Back to connections', 'secondary', () => ctx.go({ name: 'connections' })));

    if (phase === 'error' && debug.error) {
      card.append(
        h('h1', {}, 'Connection failed'),
        h('p', { class: 'error-text', role: 'alert' }, describeStatus(debug.error.code)),
        h('p', { class: 'muted detail' }, statusDetail(debug.error)),
        actions,
      );
    } else {
      card.append(h('h1', {}, 'Disconnected'), h('p', {}, `The session with ${title} has ended.`), actions);
    }
  }

  function button(label: string, kind: 'primary' | 'secondary', onClick: () => void): HTMLButtonElement {
    const b = h('button', { type: 'button', class: `button ${kind}` }, label);
    b.addEventListener('click', onClick);
    return b;
  }

  function fail(status: GuacStatus): void {
    if (debug.phase === 'error') return; // keep the first, most specific error
    setPhase('error', { code: status.code, message: status.message ?? '' });
  }

  function rescale(): void {
    if (!client) return;
    const display = client.getDisplay();
    const w = display.getWidth();
    const hgt = display.getHeight();
    if (!w || !hgt) return;
    const scale = Math.min(displayHost.clientWidth / w, displayHost.clientHeight / hgt);
    if (Number.isFinite(scale) && scale > 0) display.scale(scale);
  }

  function currentGeometry() {
    return screenGeometry(displayHost.clientWidth, displayHost.clientHeight, window.devicePixelRatio || 1);
  }

  function onHostResize(): void {
    rescale();
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => {
      if (!client || debug.state !== ClientState.CONNECTED) return;
      const g = currentGeometry();
      if (g.width !== lastSize.width || g.height !== lastSize.height) {
        lastSize = { width: g.width, height: g.height };
        client.sendSize(g.width, g.height);
      }
    }, RESIZE_DEBOUNCE_MS);
  }

  const resizeObserver = new ResizeObserver(onHostResize);
  resizeObserver.observe(displayHost);

  function teardown(): void {
    keyboard.onkeydown = null;
    keyboard.onkeyup = null;
    keyboard.reset();
    if (client) {
      const old = client;
      old.onstatechange = null;
      old.onerror = null;
      old.disconnect();
    }
    if (tunnel) {
      tunnel.onstatechange = null;
      tunnel.onerror = null;
      tunnel.onuuid = null;
    }
    client = null;
    tunnel = null;
    clear(displayHost);
  }

  async function connect(): Promise<void> {
    teardown();
    const thisAttempt = ++attempt;
    setPhase('connecting');

    const session = ctx.session();
    if (!session) {
      ctx.signedOut('Sign in to open a connection.');
      return;
    }

    const image = await supportedImageTypes();
    if (destroyed || thisAttempt !== attempt) return;

    const t = new Guacamole.WebSocketTunnel('websocket-tunnel');
    const c = new Guacamole.Client(t);
    tunnel = t;
    client = c;
    debug.tunnel = t;
    debug.client = c;
    debug.state = ClientState.IDLE;
    debug.tunnelState = t.state;

    const display = c.getDisplay();
    const displayEl = display.getElement();
    displayEl.classList.add('guac-display');
    displayHost.appendChild(displayEl);
    display.onresize = () => rescale();

    // Pointer: mouse and touchscreen both map onto Guacamole mouse state.
    const mouse = new Guacamole.Mouse(displayEl);
    const touch = new Guacamole.Mouse.Touchscreen(displayEl);
    let localCursor = false;
    const sendMouse = (e: Guacamole.Mouse.Event) => {
      if (client !== c) return;
      if (!localCursor) display.moveCursor(e.state.x / display.getScale(), e.state.y / display.getScale());
      c.sendMouseState(e.state, true);
    };
    mouse.onEach(['mousedown', 'mouseup', 'mousemove'], sendMouse);
    touch.onEach(['mousedown', 'mouseup', 'mousemove'], sendMouse);
    displayEl.addEventListener('mousedown', () => root.focus({ preventScroll: true }));
    display.oncursor = (canvas, x, y) => {
      localCursor = mouse.setCursor(canvas, x, y);
      display.showCursor(!localCursor);
    };

    keyboard.onkeydown = (keysym) => {
      if (client === c) c.sendKeyEvent(1, keysym);
    };
    keyboard.onkeyup = (keysym) => {
      if (client === c) c.sendKeyEvent(0, keysym);
    };

    c.onname = (name) => {
      if (name) {
        title = ctx.connectionName(connectionId) ?? name;
        document.title = `${title} · Porthole`;
      }
    };
    c.onerror = (status) => fail(status);
    c.onstatechange = (state) => {
      debug.state = state;
      switch (state) {
        case ClientState.CONNECTING:
          setPhase('connecting');
          break;
        case ClientState.WAITING:
          setPhase('waiting');
          break;
        case ClientState.CONNECTED:
          setPhase('connected');
          lastSize = currentGeometry();
          rescale();
          root.focus({ preventScroll: true });
          break;
        case ClientState.DISCONNECTING:
        case ClientState.DISCONNECTED:
          if (debug.phase !== 'error') setPhase('disconnected');
          break;
      }
    };

    t.onuuid = () => {
      /* visible through window.porthole.tunnel.uuid */
    };
    t.onerror = (status) => fail(status);
    t.onstatechange = (state) => {
      debug.tunnelState = state;
      unstable.hidden = state !== TunnelState.UNSTABLE;
      if (state === TunnelState.CLOSED && client === c) {
        // The 1.5 client does not follow its tunnel closing by itself.
        c.disconnect();
        if (debug.phase !== 'error') setPhase('disconnected');
      }
    };

    const g = currentGeometry();
    lastSize = { width: g.width, height: g.height };
    const data = buildConnectString({
      token: session.token,
      connectionId,
      type: 'c',
      width: g.width,
      height: g.height,
      dpi: g.dpi,
      timezone: browserTimezone(),
      image,
      audio: Guacamole.AudioPlayer.getSupportedTypes(),
      video: Guacamole.VideoPlayer.getSupportedTypes(),
    });
    debug.connectData = data.replace(/(^|&)token=[^&]*/, '$1token=REDACTED');

    try {
      c.connect(data);
    } catch (e) {
      fail(e instanceof Guacamole.Status ? e : new Guacamole.Status(Guacamole.Status.Code.SERVER_ERROR, String(e)));
    }
  }

  document.title = `${title} · Porthole`;

  return {
    element: root,
    mounted() {
      root.focus({ preventScroll: true });
      void connect(); // after mounting, so the display area has its real size
    },
    destroy() {
      destroyed = true;
      attempt++;
      window.clearTimeout(resizeTimer);
      resizeObserver.disconnect();
      teardown();
      if (window.porthole === debug) delete window.porthole;
    },
  };
}
