/** Small hooks: loading data with honest states, and the hash route. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Loaded<T> =
  | { readonly state: 'loading'; readonly data?: undefined; readonly error?: undefined }
  | { readonly state: 'ok'; readonly data: T; readonly error?: undefined }
  | { readonly state: 'error'; readonly data?: undefined; readonly error: unknown };

/**
 * Runs `load` when `deps` change (and on `reload()`); the answer of an older call never replaces
 * a newer one. A reload keeps showing the previous data until the new one arrives.
 */
export function useLoad<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): Loaded<T> & { reload: () => void; refreshing: boolean } {
  const [result, setResult] = useState<Loaded<T>>({ state: 'loading' });
  const [refreshing, setRefreshing] = useState(false);
  const [tick, setTick] = useState(0);
  const previousDeps = useRef<readonly unknown[] | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    const sameDeps =
      previousDeps.current !== undefined &&
      previousDeps.current.length === deps.length &&
      previousDeps.current.every((value, index) => Object.is(value, deps[index]));
    previousDeps.current = deps;
    if (sameDeps) setRefreshing(true);
    else setResult({ state: 'loading' });
    load(controller.signal).then(
      (data) => {
        if (controller.signal.aborted) return;
        setResult({ state: 'ok', data });
        setRefreshing(false);
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setResult({ state: 'error', error });
        setRefreshing(false);
      },
    );
    return () => {
      controller.abort();
    };
  }, [...deps, tick]);
  const reload = useCallback(() => {
    setTick((value) => value + 1);
  }, []);
  return { ...result, reload, refreshing };
}

export type Page = 'overview' | 'policy' | 'records' | 'connections';
export const PAGES: readonly Page[] = ['overview', 'policy', 'records', 'connections'];

export interface Route {
  readonly page: Page;
  readonly params: URLSearchParams;
}

function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.find((candidate) => candidate === path) ?? 'overview';
  return { page, params: new URLSearchParams(query) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const update = (): void => {
      setRoute(parseRoute(window.location.hash));
    };
    window.addEventListener('hashchange', update);
    return () => {
      window.removeEventListener('hashchange', update);
    };
  }, []);
  return route;
}

export function href(page: Page, params: Record<string, string> = {}): string {
  const query = new URLSearchParams(params).toString();
  return `#/${page}${query === '' ? '' : `?${query}`}`;
}

/** `value`, once it has not changed for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => {
      setSettled(value);
    }, ms);
    return () => {
      clearTimeout(timer);
    };
  }, [value, ms]);
  return settled;
}
