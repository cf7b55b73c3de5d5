import type { Route } from '../router';
import type { Session } from '../auth';
import type { Connection } from '../api';

/** A mounted page. `destroy` must release everything the view started. */
export interface View {
  element: HTMLElement;
  mounted?(): void;
  destroy?(): void;
  /** Full-screen views (remote desktops) hide the page scrollbars and background. */
  fullscreen?: boolean;
}

/** What views may ask of the app shell. */
export interface AppContext {
  session(): Session | null;
  go(route: Route): void;
  /** Forget the token and show the sign-in page with an optional notice. */
  signedOut(notice?: string): void;
  /** Revoke the token on the server (best effort), then `signedOut`. */
  signOut(): Promise<void>;
  signedIn(): void;
  /** Remembers names seen in the connection list, for titles. */
  rememberConnections(list: Connection[]): void;
  connectionName(id: string): string | null;
}
