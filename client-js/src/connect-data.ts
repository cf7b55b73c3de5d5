// The connect data sent as the WebSocket query, built like the stock web app does
// (wire spec §5.2): token, connection id and type, screen size and DPI in device
// pixels, time zone, then one GUAC_AUDIO / GUAC_IMAGE per supported mimetype.

export interface ConnectParams {
  /** The signed-in user's token; a share-link viewer may have none. */
  token: string | null;
  /** A connection id (`c`) or a join ticket (`s`). */
  connectionId: string;
  /** `c` connection, `s` a live session joined with a ticket (Porthole). */
  type?: 'c' | 's';
  width: number;
  height: number;
  dpi: number;
  timezone?: string | null;
  audio?: readonly string[];
  video?: readonly string[];
  image?: readonly string[];
}

export function buildConnectString(p: ConnectParams): string {
  const q = new URLSearchParams();
  if (p.token) q.append('token', p.token);
  q.append('GUAC_ID', p.connectionId);
  q.append('GUAC_TYPE', p.type ?? 'c');
  q.append('GUAC_WIDTH', String(Math.floor(p.width)));
  q.append('GUAC_HEIGHT', String(Math.floor(p.height)));
  q.append('GUAC_DPI', String(Math.floor(p.dpi)));
  if (p.timezone) q.append('GUAC_TIMEZONE', p.timezone);
  for (const t of p.image ?? []) q.append('GUAC_IMAGE', t);
  for (const t of p.audio ?? []) q.append('GUAC_AUDIO', t);
  for (const t of p.video ?? []) q.append('GUAC_VIDEO', t);
  return q.toString();
}

/** Display size to request: the CSS size of the view times the device pixel ratio. */
export function screenGeometry(cssWidth: number, cssHeight: number, devicePixelRatio: number) {
  const ratio = devicePixelRatio > 0 ? devicePixelRatio : 1;
  return {
    width: Math.max(1, Math.floor(cssWidth * ratio)),
    height: Math.max(1, Math.floor(cssHeight * ratio)),
    dpi: Math.floor(96 * ratio),
  };
}

export function browserTimezone(): string | null {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch {
    return null;
  }
}

// PNG and JPEG decode in every browser Guacamole supports; WebP is probed with a
// 1x1 lossless image (an empty probe means "always supported").
const PROBES: ReadonlyArray<readonly [string, string]> = [
  ['image/png', ''],
  ['image/jpeg', ''],
  ['image/webp', 'data:image/webp;base64,UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=='],
];

function decodes(uri: string): Promise<boolean> {
  return new Promise((resolve) => {
    const img = new Image();
    const done = (ok: boolean) => {
      img.onload = img.onerror = null;
      resolve(ok);
    };
    img.onload = () => done(img.width === 1 && img.height === 1);
    img.onerror = () => done(false);
    img.src = uri;
  });
}

let supportedImages: Promise<string[]> | null = null;

/**
 * Image mimetypes this browser can decode, in the order the server is offered them
 * (png, jpeg, webp). Probed once per page load.
 */
export function supportedImageTypes(): Promise<string[]> {
  supportedImages ??= Promise.all(
    PROBES.map(async ([type, uri]) => ((uri === '' || (await decodes(uri))) ? type : null)),
  ).then((types) => types.filter((t): t is string => t !== null));
  return supportedImages;
}
