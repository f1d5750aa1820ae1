/** A tiny admin API client for integration tests (on the portal origin): HTTP Basic, JSON in and out, status and body back. */
import type { TestServer } from '../helpers/server.js';

export const ADMIN = { user: 'admin', password: 'admin-password-for-tests' };

export interface ApiResult {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: each test reads the fields of the answer it asked for
  json: any;
}

export async function api(s: TestServer, who: { user: string; password: string } | undefined, method: string, path: string, body?: unknown): Promise<ApiResult> {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = 'Basic ' + Buffer.from(`${who.user}:${who.password}`).toString('base64');
  let payload: string | undefined;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${s.portalUrl}/_admin/api/v1${path}`, { method, headers, body: payload });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
