// Share URLs minted in this tab. The gateway returns a link's URL once (it keeps only
// the key's hash), so the page remembers the URLs it minted, per live session, for
// as long as that session lasts; sessionStorage keeps them across a page reload
// (the session itself survives one) and forgets them when the tab closes.

const KEY = 'porthole.share-urls';

type Store = Record<string, Record<string, string>>;

function load(): Store {
  try {
    const raw = sessionStorage.getItem(KEY);
    const data = raw ? (JSON.parse(raw) as unknown) : null;
    return data && typeof data === 'object' ? (data as Store) : {};
  } catch {
    return {};
  }
}

let memory: Store = load();

function save(): void {
  try {
    sessionStorage.setItem(KEY, JSON.stringify(memory));
  } catch {
    // storage full or unavailable: the in-memory copy still serves this page
  }
}

export function rememberUrl(sessionId: string, linkId: string, url: string): void {
  memory = { ...memory, [sessionId]: { ...(memory[sessionId] ?? {}), [linkId]: url } };
  save();
}

export function urlOf(sessionId: string, linkId: string): string | null {
  return memory[sessionId]?.[linkId] ?? null;
}

/** Drops URLs of links that no longer exist (revoked, expired) and of other sessions. */
export function keepOnly(sessionId: string, liveLinkIds: string[]): void {
  const mine = memory[sessionId] ?? {};
  const kept: Record<string, string> = {};
  for (const id of liveLinkIds) if (mine[id]) kept[id] = mine[id];
  memory = { [sessionId]: kept };
  save();
}
