/**
 * Routing by the URL hash (`#/`, `#/t/NAME/keys`, `#/join`, …) so Back works and views can be linked, and
 * each view's page title (what a screen reader announces and a tab shows).
 */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { view: 'home' }
  | { view: 'shared'; tenancy?: string; bucket?: string }
  | { view: 'join' }
  | { view: 'account' }
  | { view: 'admin' }
  | { view: 'tenancy'; tenancy: string; tab: string; bucket?: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 't' && parts[1]) return { view: 'tenancy', tenancy: parts[1], tab: parts[2] ?? 'keys', ...(parts[3] ? { bucket: parts[3] } : {}) };
  if (parts[0] === 'shared') return { view: 'shared', ...(parts[1] ? { tenancy: parts[1] } : {}), ...(parts[2] ? { bucket: parts[2] } : {}) };
  if (parts[0] === 'join') return { view: 'join' };
  if (parts[0] === 'account') return { view: 'account' };
  if (parts[0] === 'admin') return { view: 'admin' };
  return { view: 'home' };
}

const enc = encodeURIComponent;
export function hrefOf(r: Route): string {
  switch (r.view) {
    case 'home':
      return '#/';
    case 'tenancy':
      return `#/t/${enc(r.tenancy)}/${r.tab}${r.bucket ? '/' + enc(r.bucket) : ''}`;
    case 'shared':
      return `#/shared${r.tenancy ? '/' + enc(r.tenancy) : ''}${r.bucket ? '/' + enc(r.bucket) : ''}`;
    default:
      return `#/${r.view}`;
  }
}

export function navigate(r: Route): void {
  location.hash = hrefOf(r);
}

export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const f = () => setHash(location.hash);
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  return parseRoute(hash);
}

/** Sets the document title while a view is shown: "<what> — Granary". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} — Granary`;
  }, [title]);
}
