/**
 * The admin API key in the browser: taken once from the URL fragment (`/#key=…`, which never
 * reaches a server or a Referer header) and then removed from the address bar, or pasted into the
 * key form; kept in sessionStorage, so it lasts as long as the tab.
 */
const STORAGE_KEY = 'righttouch.apiKey';
let memory: string | null = null;

function storage(): Storage | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export function getKey(): string | null {
  return storage()?.getItem(STORAGE_KEY) ?? memory;
}

export function setKey(key: string): void {
  memory = key;
  try {
    storage()?.setItem(STORAGE_KEY, key);
  } catch {
    // Storage full or refused: the key lives in memory for this page.
  }
}

export function clearKey(): void {
  memory = null;
  storage()?.removeItem(STORAGE_KEY);
}

/** Stores `#key=…` (also `#/page?key=…`) and takes it out of the address bar. True if one was there. */
export function takeKeyFromFragment(): boolean {
  const hash = window.location.hash.slice(1);
  const [route, query] = hash.startsWith('key=') ? ['', hash] : [hash.split('?')[0] ?? '', hash.split('?')[1] ?? ''];
  // A literal "+" in a key is a plus, not a space.
  const params = new URLSearchParams(query.replaceAll('+', '%2B'));
  const key = params.get('key')?.trim();
  if (key === undefined) return false;
  if (key !== '') setKey(key);
  params.delete('key');
  const rest = params.toString();
  const cleaned = `#${route === '' ? '/overview' : route}${rest === '' ? '' : `?${rest}`}`;
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${cleaned}`);
  return key !== '';
}
