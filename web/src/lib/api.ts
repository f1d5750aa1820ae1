/**
 * The portal's way to the server: the typed admin API client (src/admin/api-client.ts, shared with the
 * CLI) over fetch with the session cookie (HttpOnly, so never visible here) and the session's CSRF token
 * in X-CSRF-Token on every change. Nothing secret is kept in browser storage: the CSRF token lives in
 * memory and is fetched again on reload. Only an ended session signs the portal out; a wrong password
 * typed while signed in is an error like any other.
 */
import { ADMIN_API_PREFIX, AdminApiClient, AdminApiError } from '../../../src/admin/api-client.js';
import type { PresignRequest, PresignResponse, SessionInfo } from '../../../src/admin/session-contract.js';

export { AdminApiError };

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setSession(s: SessionInfo): void {
  csrfToken = s.csrfToken;
}
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

/** The problem slugs that mean "you are not signed in (any more)". */
const SIGNED_OUT = new Set(['session-ended', 'unauthenticated']);

export const api = new AdminApiClient(async (r) => {
  const headers = { ...r.headers };
  if (r.method !== 'GET' && r.method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(ADMIN_API_PREFIX + r.path, { method: r.method, headers, body: r.body, credentials: 'same-origin', cache: 'no-store' });
  const text = await res.text();
  if (res.status === 401 && r.path !== '/session') {
    let slug = '';
    try {
      slug = String((JSON.parse(text) as { type?: string }).type ?? '').split('/').pop() ?? '';
    } catch {
      slug = 'unauthenticated';
    }
    if (SIGNED_OUT.has(slug)) onSignedOut();
  }
  return { status: res.status, text };
});

export const presign = (tenancy: string, req: PresignRequest): Promise<PresignResponse> => api.call('POST /tenancies/{tenancy}/presign', { params: { tenancy }, body: req });

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
