// Type declarations for the parts of guacamole-common-js 1.5.0 that Porthole uses.
//
// The npm package ships plain JavaScript: `dist/esm/guacamole-common.js` is the
// concatenated library followed by `export default Guacamole`, and
// `dist/cjs/guacamole-common.js` ends in `module.exports = Guacamole`. Neither has
// types, so this file describes the subset we call. Extend it when the client
// starts using more of the library; keep the names identical to the library's.

declare module 'guacamole-common-js' {
  namespace Guacamole {
    /** A Guacamole status: a numeric code plus optional human text. */
    class Status {
      constructor(code: number, message?: string);
      code: number;
      message?: string;
      isError(): boolean;
    }

    namespace Status {
      const Code: {
        readonly SUCCESS: number;
        readonly UNSUPPORTED: number;
        readonly SERVER_ERROR: number;
        readonly SERVER_BUSY: number;
        readonly UPSTREAM_TIMEOUT: number;
        readonly UPSTREAM_ERROR: number;
        readonly RESOURCE_NOT_FOUND: number;
        readonly RESOURCE_CONFLICT: number;
        readonly RESOURCE_CLOSED: number;
        readonly UPSTREAM_NOT_FOUND: number;
        readonly UPSTREAM_UNAVAILABLE: number;
        readonly SESSION_CONFLICT: number;
        readonly SESSION_TIMEOUT: number;
        readonly SESSION_CLOSED: number;
        readonly CLIENT_BAD_REQUEST: number;
        readonly CLIENT_UNAUTHORIZED: number;
        readonly CLIENT_FORBIDDEN: number;
        readonly CLIENT_TIMEOUT: number;
        readonly CLIENT_OVERRUN: number;
        readonly CLIENT_BAD_TYPE: number;
        readonly CLIENT_TOO_MANY: number;
        fromHTTPCode(status: number): number;
        fromWebSocketCode(code: number): number;
      };
    }

    /** Base tunnel: the transport under a Client. */
    class Tunnel {
      state: number;
      uuid: string | null;
      receiveTimeout: number;
      unstableThreshold: number;
      connect(data?: string): void;
      disconnect(): void;
      sendMessage(...elements: unknown[]): void;
      isConnected(): boolean;
      onerror: ((status: Status) => void) | null;
      onstatechange: ((state: number) => void) | null;
      onuuid: ((uuid: string) => void) | null;
      oninstruction: ((opcode: string, args: string[]) => void) | null;
    }

    namespace Tunnel {
      const State: {
        readonly CONNECTING: 0;
        readonly OPEN: 1;
        readonly CLOSED: 2;
        readonly UNSTABLE: 3;
      };
      const INTERNAL_DATA_OPCODE: string;
    }

    class WebSocketTunnel extends Tunnel {
      /** `tunnelURL` may be relative (e.g. "websocket-tunnel"); it is rewritten to ws(s)://. */
      constructor(tunnelURL: string);
    }

    class HTTPTunnel extends Tunnel {
      constructor(tunnelURL: string, crossDomain?: boolean, extraTunnelHeaders?: Record<string, string>);
    }

    class Layer {
      width: number;
      height: number;
      getCanvas(): HTMLCanvasElement;
      toCanvas(): HTMLCanvasElement;
    }

    namespace Display {
      class VisibleLayer extends Layer {
        getElement(): HTMLElement;
      }
    }

    class Display {
      getElement(): HTMLElement;
      getWidth(): number;
      getHeight(): number;
      getDefaultLayer(): Display.VisibleLayer;
      getCursorLayer(): Display.VisibleLayer;
      showCursor(shown: boolean): void;
      moveCursor(x: number, y: number): void;
      scale(scale: number): void;
      getScale(): number;
      flatten(): HTMLCanvasElement;
      onresize: ((width: number, height: number) => void) | null;
      oncursor: ((canvas: HTMLCanvasElement, x: number, y: number) => void) | null;
    }

    class Client {
      constructor(tunnel: Tunnel);
      connect(data?: string): void;
      disconnect(): void;
      getDisplay(): Display;
      sendSize(width: number, height: number): void;
      sendKeyEvent(pressed: 0 | 1 | boolean, keysym: number): void;
      sendMouseState(state: Mouse.State, applyDisplayScale?: boolean): void;
      onstatechange: ((state: number) => void) | null;
      onerror: ((status: Status) => void) | null;
      onname: ((name: string) => void) | null;
      onsync: ((timestamp: number, frames?: number) => void) | null;
      onclipboard: ((stream: InputStream, mimetype: string) => void) | null;
      /** `msg` instruction (protocol 1.5): return false to suppress onjoin/onleave. */
      onmsg: ((code: number, args: string[]) => boolean | void) | null;
      onjoin: ((userID: string, name: string) => void) | null;
      onleave: ((userID: string, name: string) => void) | null;
      createClipboardStream(mimetype: string): OutputStream;
    }

    class InputStream {
      index: number;
      onblob: ((data64: string) => void) | null;
      onend: (() => void) | null;
      sendAck(message: string, code: number): void;
    }

    class OutputStream {
      index: number;
      onack: ((status: Status) => void) | null;
      sendBlob(data: string): void;
      sendEnd(): void;
    }

    class StringReader {
      constructor(stream: InputStream);
      ontext: ((text: string) => void) | null;
      onend: (() => void) | null;
    }

    class StringWriter {
      constructor(stream: OutputStream);
      sendText(text: string): void;
      sendEnd(): void;
      onack: ((status: Status) => void) | null;
    }

    namespace Client {
      const State: {
        readonly IDLE: 0;
        readonly CONNECTING: 1;
        readonly WAITING: 2;
        readonly CONNECTED: 3;
        readonly DISCONNECTING: 4;
        readonly DISCONNECTED: 5;
      };
    }

    namespace Mouse {
      class State {
        x: number;
        y: number;
        left: boolean;
        middle: boolean;
        right: boolean;
        up: boolean;
        down: boolean;
      }

      class Event {
        type: string;
        state: State;
      }

      class Touchscreen {
        constructor(element: HTMLElement);
        onEach(types: string[], listener: (event: Event) => void): void;
      }
    }

    class Mouse {
      constructor(element: HTMLElement);
      onEach(types: string[], listener: (event: Mouse.Event) => void): void;
      setCursor(canvas: HTMLCanvasElement, x: number, y: number): boolean;
    }

    class Keyboard {
      constructor(element?: HTMLElement | Document);
      listenTo(element: HTMLElement | Document): void;
      reset(): void;
      /** Keysyms currently held down, as the library tracks them. */
      pressed: Record<number, boolean>;
      onkeydown: ((keysym: number) => boolean | void) | null;
      onkeyup: ((keysym: number) => void) | null;
    }

    namespace AudioPlayer {
      function getSupportedTypes(): string[];
    }

    namespace VideoPlayer {
      function getSupportedTypes(): string[];
    }

    class Parser {
      constructor();
      receive(packet: string): void;
      oninstruction: ((opcode: string, args: string[]) => void) | null;
    }
  }

  export default Guacamole;
}
