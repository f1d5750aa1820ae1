/**
 * The portal's only way to the server: JSON over /_admin/api/v1 with the session cookie (HttpOnly, so
 * never visible here) and the session's CSRF token in X-CSRF-Token on every change. Nothing secret is
 * kept in browser storage: the CSRF token lives in memory and is fetched again on reload.
 */
import type { Problem } from '../../src/admin/contract.js';
import type { PresignRequest, PresignResponse, SessionInfo } from '../../src/admin/session-contract.js';

export const API = '/_admin/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

let csrfToken: string | null = null;
let onSignedOut: () => void = () => {};

export function setSession(s: SessionInfo): void {
  csrfToken = s.csrfToken;
}
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export async function api<T>(method: string, path: string, body?: unknown, raw = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = raw ? String(body) : JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const r = await fetch(API + path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  if (r.status === 204) return undefined as T;
  const text = await r.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = { detail: text };
  }
  if (!r.ok) {
    const p = (json ?? {}) as Partial<Problem>;
    if (r.status === 401 && path !== '/session') onSignedOut();
    throw new ApiError(r.status, p);
  }
  return json as T;
}

export const presign = (tenancy: string, req: PresignRequest): Promise<PresignResponse> => api<PresignResponse>('POST', `/tenancies/${encodeURIComponent(tenancy)}/presign`, req);

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '∞';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
