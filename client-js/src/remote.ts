// A remote desktop on the page: one Guacamole tunnel + client, its display scaled to
// fit a container, pointer input, clipboard, and Porthole's `porthole-roster`
// instruction. Views use this and `KeyInput` only; nothing else touches the library.
//
// One `Remote` per connection attempt (a disconnected Guacamole.Client is not
// reused); `KeyInput` lives as long as the view, because Guacamole.Keyboard's
// listeners cannot be removed from their element.

import Guacamole, {
  ClientState,
  TunnelState,
  type GuacClient,
  type GuacKeyboard,
  type GuacMouseEvent,
  type GuacStatus,
  type GuacTunnel,
} from './guac';
import { screenGeometry } from './connect-data';

/** One line of the roster: a person (or all anonymous viewers) and their attachments. */
export interface RosterUser {
  name: string;
  anonymous: boolean;
  connections: number;
}

/** Everyone else on the session, as the gateway reports it to the originator. */
export interface Roster {
  count: number;
  users: RosterUser[];
}

export type RemoteState = 'connecting' | 'waiting' | 'connected' | 'disconnected';

export interface RemoteFailure {
  code: number;
  /** The server's text; empty when the browser derived the code (network trouble). */
  message: string;
  /** Whether the tunnel had opened (received its UUID) before failing. */
  opened: boolean;
}

export interface RemoteHandlers {
  onstate?(state: RemoteState): void;
  onerror?(failure: RemoteFailure): void;
  onuuid?(uuid: string): void;
  onname?(name: string): void;
  onjoin?(id: string, name: string): void;
  onleave?(id: string, name: string): void;
  onroster?(roster: Roster): void;
  onclipboard?(text: string): void;
  onunstable?(unstable: boolean): void;
}

export interface RemoteOptions {
  /** Element the display is placed in; the display is scaled to fit it. */
  container: HTMLElement;
  /** Whether pointer input and clipboard are sent (false for read-only viewers). */
  interactive: boolean;
  /** Whether the remote screen follows this window's size (only the session's originator). */
  resizeRemote: boolean;
  /** Called on pointer down, so the view can focus its keyboard target. */
  onpointerdown?(): void;
}

/** The opcode of the gateway's roster instruction (ignored by stock clients). */
export const ROSTER_OPCODE = 'porthole-roster';

const RESIZE_DEBOUNCE_MS = 250;

/** Audio mimetypes this browser can play, for the connect data. */
export function audioTypes(): string[] {
  return Guacamole.AudioPlayer.getSupportedTypes();
}

/** Video mimetypes this browser can play, for the connect data. */
export function videoTypes(): string[] {
  return Guacamole.VideoPlayer.getSupportedTypes();
}

/** Parses the roster JSON defensively; null when it is not usable. */
export function parseRoster(json: string): Roster | null {
  try {
    const data = JSON.parse(json) as { count?: unknown; users?: unknown };
    const users = Array.isArray(data.users)
      ? data.users
          .filter((u): u is Record<string, unknown> => !!u && typeof u === 'object')
          .map((u) => ({
            name: typeof u.name === 'string' && u.name !== '' ? u.name : 'Anonymous',
            anonymous: u.anonymous === true,
            connections: typeof u.connections === 'number' && u.connections > 0 ? u.connections : 1,
          }))
      : [];
    const count =
      typeof data.count === 'number' && data.count >= 0 ? data.count : users.reduce((n, u) => n + u.connections, 0);
    return { count, users };
  } catch {
    return null;
  }
}

export class Remote {
  readonly client: GuacClient;
  readonly tunnel: GuacTunnel;
  /** Client state: IDLE 0, CONNECTING 1, WAITING 2, CONNECTED 3, DISCONNECTING 4, DISCONNECTED 5. */
  clientState: number = ClientState.IDLE;
  private failed = false;
  private closed = false;
  private lastSize = { width: 0, height: 0 };
  private resizeTimer: number | undefined;
  private readonly observer: ResizeObserver;
  private readonly displayEl: HTMLElement;

  constructor(
    private readonly opts: RemoteOptions,
    private readonly handlers: RemoteHandlers,
  ) {
    const t = new Guacamole.WebSocketTunnel('websocket-tunnel');
    const c = new Guacamole.Client(t);
    this.tunnel = t;
    this.client = c;

    const display = c.getDisplay();
    this.displayEl = display.getElement();
    this.displayEl.classList.add('guac-display');
    opts.container.appendChild(this.displayEl);
    display.onresize = () => this.rescale();

    if (opts.interactive) this.attachPointer();
    this.displayEl.addEventListener('pointerdown', () => opts.onpointerdown?.());

    c.onname = (name) => handlers.onname?.(name);
    c.onerror = (status) => this.fail(status);
    c.onjoin = (id, name) => handlers.onjoin?.(id, name);
    c.onleave = (id, name) => handlers.onleave?.(id, name);
    c.onclipboard = (stream, mimetype) => {
      if (!/^text\//.test(mimetype)) return;
      const reader = new Guacamole.StringReader(stream);
      let text = '';
      reader.ontext = (t2) => {
        text += t2;
      };
      reader.onend = () => handlers.onclipboard?.(text);
    };
    c.onstatechange = (state) => {
      this.clientState = state;
      switch (state) {
        case ClientState.CONNECTING:
          handlers.onstate?.('connecting');
          break;
        case ClientState.WAITING:
          handlers.onstate?.('waiting');
          break;
        case ClientState.CONNECTED:
          this.lastSize = this.geometry();
          this.rescale();
          handlers.onstate?.('connected');
          break;
        case ClientState.DISCONNECTING:
        case ClientState.DISCONNECTED:
          this.markClosed();
          break;
      }
    };

    // The client installs its own instruction handler; wrap it to see the roster,
    // which it would ignore, and pass everything through.
    const inner = t.oninstruction;
    t.oninstruction = (opcode, args) => {
      if (opcode === ROSTER_OPCODE) {
        const roster = parseRoster(args[0] ?? '');
        if (roster) handlers.onroster?.(roster);
      }
      inner?.call(t, opcode, args);
    };
    t.onuuid = (uuid) => handlers.onuuid?.(uuid);
    t.onerror = (status) => this.fail(status);
    t.onstatechange = (state) => {
      handlers.onunstable?.(state === TunnelState.UNSTABLE);
      if (state === TunnelState.CLOSED) {
        // The 1.5 client does not follow its tunnel closing by itself.
        if (this.clientState !== ClientState.DISCONNECTED) c.disconnect();
        this.markClosed();
      }
    };

    this.observer = new ResizeObserver(() => this.onContainerResize());
    this.observer.observe(opts.container);
  }

  /** Size to ask the server for: the container's CSS size in device pixels. */
  geometry() {
    return screenGeometry(this.opts.container.clientWidth, this.opts.container.clientHeight, window.devicePixelRatio || 1);
  }

  connect(data: string): void {
    try {
      this.client.connect(data);
    } catch (e) {
      this.fail(e instanceof Guacamole.Status ? e : new Guacamole.Status(Guacamole.Status.Code.SERVER_ERROR, String(e)));
    }
  }

  get uuid(): string | null {
    return this.tunnel.uuid;
  }

  get connected(): boolean {
    return this.clientState === ClientState.CONNECTED && !this.closed;
  }

  /** Sends one key event (ignored unless interactive and connected). */
  sendKey(pressed: boolean, keysym: number): void {
    if (this.opts.interactive && !this.closed) this.client.sendKeyEvent(pressed ? 1 : 0, keysym);
  }

  /** Sends text to the remote clipboard. */
  sendClipboard(text: string): void {
    if (!this.opts.interactive || !this.connected) return;
    const writer = new Guacamole.StringWriter(this.client.createClipboardStream('text/plain'));
    writer.sendText(text);
    writer.sendEnd();
  }

  /** Ends the session on purpose: the gateway is told (`disconnect`), not left guessing. */
  disconnect(): void {
    this.detach();
    this.client.disconnect();
  }

  /** Stops everything without telling anyone (handlers off, display removed). */
  destroy(): void {
    this.detach();
    if (this.clientState !== ClientState.DISCONNECTED) this.client.disconnect();
    this.displayEl.remove();
  }

  private detach(): void {
    window.clearTimeout(this.resizeTimer);
    this.observer.disconnect();
    const c = this.client;
    c.onstatechange = null;
    c.onerror = null;
    c.onjoin = null;
    c.onleave = null;
    c.onclipboard = null;
    c.onname = null;
    this.tunnel.onerror = null;
    this.tunnel.onuuid = null;
    this.tunnel.onstatechange = null;
    this.closed = true;
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    window.clearTimeout(this.resizeTimer);
    if (!this.failed) this.handlers.onstate?.('disconnected');
  }

  private fail(status: GuacStatus): void {
    if (this.failed || this.closed) return; // keep the first, most specific error
    if (status.code === Guacamole.Status.Code.SUCCESS) return;
    this.failed = true;
    this.handlers.onerror?.({ code: status.code, message: status.message ?? '', opened: !!this.tunnel.uuid });
  }

  private rescale(): void {
    const display = this.client.getDisplay();
    const w = display.getWidth();
    const hgt = display.getHeight();
    const box = this.opts.container;
    if (!w || !hgt || !box.clientWidth || !box.clientHeight) return;
    const scale = Math.min(box.clientWidth / w, box.clientHeight / hgt);
    if (Number.isFinite(scale) && scale > 0) display.scale(scale);
  }

  private onContainerResize(): void {
    this.rescale();
    window.clearTimeout(this.resizeTimer);
    this.resizeTimer = window.setTimeout(() => {
      if (!this.connected || !this.opts.resizeRemote) return;
      const g = this.geometry();
      if (g.width !== this.lastSize.width || g.height !== this.lastSize.height) {
        this.lastSize = { width: g.width, height: g.height };
        this.client.sendSize(g.width, g.height);
      }
    }, RESIZE_DEBOUNCE_MS);
  }

  private attachPointer(): void {
    const c = this.client;
    const display = c.getDisplay();
    // Mouse and touchscreen both map onto Guacamole mouse state.
    const mouse = new Guacamole.Mouse(this.displayEl);
    const touch = new Guacamole.Mouse.Touchscreen(this.displayEl);
    let localCursor = false;
    const send = (e: GuacMouseEvent) => {
      if (this.closed) return;
      if (!localCursor) display.moveCursor(e.state.x / display.getScale(), e.state.y / display.getScale());
      c.sendMouseState(e.state, true);
    };
    mouse.onEach(['mousedown', 'mouseup', 'mousemove'], send);
    touch.onEach(['mousedown', 'mouseup', 'mousemove'], send);
    display.oncursor = (canvas, x, y) => {
      localCursor = mouse.setCursor(canvas, x, y);
      display.showCursor(!localCursor);
    };
  }
}

// Keysyms of the modifiers the connection-menu shortcuts use.
const CTRL = [0xffe3, 0xffe4];
const SHIFT = [0xffe1, 0xffe2];
const ALT = [0xffe9, 0xffea, 0xfe03];
/** Meta (what browsers call the Windows or Command key), Super and Hyper. */
const WIN = [0xffe7, 0xffe8, 0xffeb, 0xffec, 0xffed, 0xffee];

/**
 * Keyboard input for a view: keys typed into `target` (and any extra elements, such
 * as a phone's text field) go to the current remote, except the connection-menu
 * shortcuts Ctrl+Shift+Win/Cmd and Ctrl+Alt+Shift, which call `onmenu` instead and
 * release every key on the remote side.
 */
export class KeyInput {
  private readonly keyboard: GuacKeyboard;
  private readonly held = new Set<number>();
  private remote: Remote | null = null;
  onmenu: (() => void) | null = null;

  constructor(target: HTMLElement, extra: HTMLElement[] = []) {
    this.keyboard = new Guacamole.Keyboard(target);
    for (const e of extra) this.keyboard.listenTo(e);
    this.keyboard.onkeydown = (keysym) => {
      this.held.add(keysym);
      if (this.onmenu && this.isMenuChord()) {
        const open = this.onmenu;
        // Release everything (the remote saw the modifiers go down), then open.
        window.setTimeout(() => {
          this.release();
          open();
        }, 0);
        return false;
      }
      this.remote?.sendKey(true, keysym);
      return true;
    };
    this.keyboard.onkeyup = (keysym) => {
      this.held.delete(keysym);
      this.remote?.sendKey(false, keysym);
    };
  }

  /** Where keys go from now on (null: nowhere). */
  attach(remote: Remote | null): void {
    if (this.remote && this.remote !== remote) this.release();
    this.remote = remote;
  }

  /** Releases every held key (the remote gets the key-ups). */
  release(): void {
    this.keyboard.reset();
    this.held.clear();
  }

  private isMenuChord(): boolean {
    const any = (keys: number[]) => keys.some((k) => this.held.has(k));
    return any(CTRL) && any(SHIFT) && (any(WIN) || any(ALT));
  }
}
