// The one place that imports guacamole-common-js.
//
// The package's ESM build (`dist/esm/guacamole-common.js`) is the library's source
// files concatenated, ending in `export default Guacamole`; Vite picks it through the
// package's "exports" map. Only `remote.ts` (the display/input/clipboard wrapper used
// by every view) imports from here, so a later switch of library version or build
// touches only these two files and the typings in `types/guacamole-common-js.d.ts`.
import Guacamole from 'guacamole-common-js';

export default Guacamole;

export type GuacClient = Guacamole.Client;
export type GuacTunnel = Guacamole.Tunnel;
export type GuacStatus = Guacamole.Status;
export type GuacDisplay = Guacamole.Display;
export type GuacKeyboard = Guacamole.Keyboard;
export type GuacMouseEvent = Guacamole.Mouse.Event;

export const ClientState = Guacamole.Client.State;
export const TunnelState = Guacamole.Tunnel.State;
