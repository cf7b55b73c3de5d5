// REST calls to the Porthole gateway. Paths are relative so the app works under
// any base path the gateway serves it from. Every call returns plain data or throws
// ApiError (the server answered with an error) / NetworkError (no answer at all).

/** An entry of the connection list (`GET api/connections`). */
export interface Connection {
  id: string;
  name: string;
  protocol: string;
  /** Who speaks to the remote machine: guacd, or Porthole's own VNC client. */
  backend: Backend;
  /** Folder path ("Servers/Linux"), when the server groups connections. */
  folder: string | null;
  /** Live sessions on this connection. */
  activeSessions: number;
  /** People on the connection's live sessions: originators plus viewers. */
  activeUsers: number;
}

/**
 * `guacd`: the connection goes through a guacd daemon (every protocol).
 * `builtin`: Porthole's own VNC client, no guacd (protocol `vnc` only).
 */
export type Backend = 'guacd' | 'builtin';

/** The server's `backend` value; anything unknown (or absent, on older gateways) is guacd. */
export function parseBackend(v: unknown): Backend {
  return v === 'builtin' ? 'builtin' : 'guacd';
}

export interface GuacdTarget {
  host: string;
  port: number;
  tls: boolean;
}

/** `GET api/connections/{id}`: secrets are never returned, only named. */
export interface ConnectionDetail {
  id: string;
  name: string;
  protocol: string;
  backend: Backend;
  parameters: Record<string, string>;
  secret_parameters_set: string[];
  guacd: GuacdTarget | null;
  owner_id: string | null;
  active_sessions: number;
}

export interface ConnectionInput {
  name: string;
  protocol: string;
  backend: Backend;
  parameters: Record<string, string>;
  guacd?: GuacdTarget | null;
  owner_id?: string | null;
}

export interface SharingProfile {
  id: string;
  connection_id: string;
  name: string;
  read_only: boolean;
  parameters: Record<string, string>;
  created_at: number;
  updated_at: number;
}

export interface SharingProfileInput {
  name: string;
  read_only: boolean;
  parameters?: Record<string, string>;
}

export type ViewerKind = 'link' | 'admin-watch' | 'admin-join';

export interface Viewer {
  id: string;
  user_id: string | null;
  /** Username, or null for an anonymous viewer. */
  name: string | null;
  read_only: boolean;
  kind: ViewerKind;
  link_id: string | null;
  profile_id: string | null;
  remote_addr: string;
  /** Milliseconds since the Unix epoch. */
  since: number;
}

export interface ShareLink {
  id: string;
  profile_id: string;
  profile_name: string;
  read_only: boolean;
  created_by: string;
  created_at: number;
  expires_at: number | null;
  max_uses: number | null;
  uses: number;
}

/** A freshly minted link: the only time its URL is ever sent. */
export interface MintedLink extends ShareLink {
  url: string;
}

/** A live session (`GET api/sessions`, `GET api/tunnels/{uuid}/session`). */
export interface LiveSession {
  id: string;
  connection_id: string;
  connection_name: string;
  protocol: string;
  user_id: string;
  username: string;
  remote_addr: string;
  upstream_id: string;
  started_at: number;
  owner_connected: boolean;
  viewers: Viewer[];
  links: ShareLink[];
}

export interface TunnelSession extends LiveSession {
  sharing_profiles: SharingProfile[];
}

/** A single-use, short-lived ticket for a `GUAC_TYPE=s` tunnel. */
export interface JoinTicket {
  ticket: string;
  read_only: boolean;
  connection_name: string;
  shared_by: string;
  profile_name: string | null;
}

export interface HistoryRecord {
  id: string;
  connection_id: string;
  connection_name: string;
  protocol: string;
  user_id: string;
  username: string;
  remote_addr: string;
  started_at: number;
  ended_at: number | null;
  end_status: number | null;
  end_reason: string | null;
}

export interface HistoryPage {
  total: number;
  page: number;
  per_page: number;
  sessions: HistoryRecord[];
}

export interface Participant {
  id: string;
  session_id: string;
  kind: string;
  link_id: string | null;
  profile_id: string | null;
  profile_name: string | null;
  user_id: string | null;
  name: string;
  read_only: boolean;
  remote_addr: string;
  joined_at: number;
  left_at: number | null;
  leave_reason: string | null;
}

export interface HistoryDetail {
  session: HistoryRecord;
  participants: Participant[];
}

export interface User {
  id: string;
  email: string;
  username: string;
  display_name: string;
  is_admin: boolean;
  disabled: boolean;
  created_at: number;
}

export interface NewUser {
  username: string;
  password: string;
  email?: string;
  display_name?: string;
  is_admin?: boolean;
}

export interface TokenResponse {
  token: string;
  username: string;
  display_name?: string;
  is_admin?: boolean;
  expires_at?: string;
}

export interface Me {
  id: string;
  username: string;
  email: string;
  display_name: string;
  is_admin: boolean;
}

/** The server answered with an error status. `message` is the server's own text when it sent one. */
export class ApiError extends Error {
  readonly status: number;
  readonly retryAfterSeconds: number | null;
  constructor(status: number, message: string, retryAfterSeconds: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The request never got an HTTP answer (server down, network gone). */
export class NetworkError extends Error {
  constructor() {
    super('Cannot reach the server. Check your network connection and try again.');
    this.name = 'NetworkError';
  }
}

/** A sentence for any error thrown by these calls. */
export function errorText(e: unknown, fallback = 'Something went wrong. Try again.'): string {
  if (e instanceof ApiError || e instanceof NetworkError) return sentence(e.message);
  return fallback;
}

/** Server messages are lowercase without a final period; show them as sentences. */
function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
}

function fallbackMessage(status: number): string {
  if (status === 401) return 'Your sign-in is not valid. Sign in again.';
  if (status === 403) return 'You are not allowed to do that.';
  if (status === 404) return 'Not found.';
  if (status === 409) return 'That conflicts with something that already exists.';
  if (status === 429) return 'Too many attempts. Wait a moment and try again.';
  if (status >= 500) return `The server had a problem (HTTP ${status}). Try again in a moment.`;
  return `The request failed (HTTP ${status}).`;
}

function parseRetryAfter(value: string | null): number | null {
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const when = Date.parse(value);
  if (!Number.isNaN(when)) return Math.max(0, Math.ceil((when - Date.now()) / 1000));
  return null;
}

async function request<T>(
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }

  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch {
    throw new NetworkError();
  }

  const text = await res.text().catch(() => '');
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!res.ok) {
    const serverText =
      data && typeof data === 'object' && typeof (data as { error?: unknown }).error === 'string'
        ? (data as { error: string }).error
        : '';
    throw new ApiError(
      res.status,
      serverText || fallbackMessage(res.status),
      parseRetryAfter(res.headers.get('Retry-After')),
    );
  }
  return data as T;
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- sign-in

export function createToken(username: string, password: string): Promise<TokenResponse> {
  return request<TokenResponse>('POST', 'api/tokens', { body: { username, password } });
}

export function deleteToken(token: string): Promise<unknown> {
  return request('DELETE', 'api/tokens/current', { token });
}

export function getMe(token: string): Promise<Me> {
  return request<Me>('GET', 'api/me', { token });
}

// ---------------------------------------------------------------- connections

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

export async function listConnections(token: string): Promise<Connection[]> {
  const data = await request<unknown>('GET', 'api/connections', { token });
  if (!Array.isArray(data)) return [];
  return data
    .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
    .map((c) => ({
      id: String(c.id ?? ''),
      name: typeof c.name === 'string' && c.name !== '' ? c.name : String(c.id ?? ''),
      protocol: typeof c.protocol === 'string' ? c.protocol : '',
      backend: parseBackend(c.backend),
      folder: typeof c.folder === 'string' && c.folder.trim() !== '' ? c.folder.trim() : null,
      activeSessions: num(c.active_sessions),
      activeUsers: num(c.active_users),
    }))
    .filter((c) => c.id !== '');
}

/** A detail as the server sent it, with `backend` normalised (older gateways omit it). */
function detailOf(d: ConnectionDetail): ConnectionDetail {
  return { ...d, backend: parseBackend(d.backend) };
}

export async function getConnection(token: string, id: string): Promise<ConnectionDetail> {
  return detailOf(await request<ConnectionDetail>('GET', `api/connections/${enc(id)}`, { token }));
}

export async function createConnection(token: string, body: ConnectionInput): Promise<ConnectionDetail> {
  return detailOf(await request<ConnectionDetail>('POST', 'api/connections', { token, body }));
}

export async function updateConnection(token: string, id: string, body: ConnectionInput): Promise<ConnectionDetail> {
  return detailOf(await request<ConnectionDetail>('PUT', `api/connections/${enc(id)}`, { token, body }));
}

export function deleteConnection(token: string, id: string): Promise<unknown> {
  return request('DELETE', `api/connections/${enc(id)}`, { token });
}

// ---------------------------------------------------------------- sharing profiles

export function listProfiles(token: string, connectionId: string): Promise<SharingProfile[]> {
  return request('GET', `api/connections/${enc(connectionId)}/sharing-profiles`, { token });
}

export function createProfile(token: string, connectionId: string, body: SharingProfileInput): Promise<SharingProfile> {
  return request('POST', `api/connections/${enc(connectionId)}/sharing-profiles`, { token, body });
}

export function updateProfile(token: string, id: string, body: SharingProfileInput): Promise<SharingProfile> {
  return request('PUT', `api/sharing-profiles/${enc(id)}`, { token, body });
}

export function deleteProfile(token: string, id: string): Promise<unknown> {
  return request('DELETE', `api/sharing-profiles/${enc(id)}`, { token });
}

export function cloneProfile(token: string, id: string, name: string): Promise<SharingProfile> {
  return request('POST', `api/sharing-profiles/${enc(id)}/clone`, { token, body: { name } });
}

// ---------------------------------------------------------------- live sessions and links

export function sessionOfTunnel(token: string, uuid: string): Promise<TunnelSession> {
  return request('GET', `api/tunnels/${enc(uuid)}/session`, { token });
}

export function listSessions(token: string): Promise<LiveSession[]> {
  return request('GET', 'api/sessions', { token });
}

export function endSession(token: string, id: string): Promise<unknown> {
  return request('DELETE', `api/sessions/${enc(id)}`, { token });
}

export function mintLink(
  token: string,
  sessionId: string,
  body: { profile_id: string; expires_in_secs?: number; max_uses?: number },
): Promise<MintedLink> {
  return request('POST', `api/sessions/${enc(sessionId)}/links`, { token, body });
}

export function listLinks(token: string, sessionId: string): Promise<ShareLink[]> {
  return request('GET', `api/sessions/${enc(sessionId)}/links`, { token });
}

export function revokeLink(token: string, sessionId: string, linkId: string): Promise<unknown> {
  return request('DELETE', `api/sessions/${enc(sessionId)}/links/${enc(linkId)}`, { token });
}

export function watchSession(token: string, sessionId: string): Promise<JoinTicket> {
  return request('POST', `api/sessions/${enc(sessionId)}/watch`, { token });
}

export function joinSession(token: string, sessionId: string): Promise<JoinTicket> {
  return request('POST', `api/sessions/${enc(sessionId)}/join`, { token });
}

/** Redeems a share key; signed-in callers pass their token so they show by name. */
export function redeemShare(key: string, token: string | null): Promise<JoinTicket> {
  return request('POST', 'api/share/redeem', { token, body: { key } });
}

// ---------------------------------------------------------------- history and users

export function listHistory(token: string, page: number, perPage: number): Promise<HistoryPage> {
  return request('GET', `api/history?page=${page}&per_page=${perPage}`, { token });
}

export function getHistory(token: string, id: string): Promise<HistoryDetail> {
  return request('GET', `api/history/${enc(id)}`, { token });
}

export function listUsers(token: string): Promise<User[]> {
  return request('GET', 'api/users', { token });
}

export function createUser(token: string, body: NewUser): Promise<User> {
  return request('POST', 'api/users', { token, body });
}
