/**
 * A thin HTTP client of the admin API (fetch, HTTP Basic). Failures carry the problem document's detail,
 * which is what the CLI shows the user.
 */
import type { Problem } from '../admin/contract.js';
import type { CliSettings } from './settings.js';

export const API_PREFIX = '/_admin/api/v1';

/** The server answered with an error (a problem document when it is Granary). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export class AdminClient {
  constructor(private readonly settings: CliSettings) {}

  /** Path segments are encoded by the caller with `seg`. Body: object → JSON, string → sent as is. */
  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T | undefined> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.settings.user !== undefined) {
      headers.authorization = 'Basic ' + Buffer.from(`${this.settings.user}:${this.settings.password ?? ''}`).toString('base64');
    }
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const url = this.settings.url + API_PREFIX + path;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: payload });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new ConnectionError(`cannot reach ${this.settings.url}: ${cause ?? (e as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) {
      let problem: Problem | undefined;
      try {
        problem = JSON.parse(text) as Problem;
      } catch {
        problem = undefined;
      }
      const detail = problem?.detail ?? (text.trim() || res.statusText);
      throw new ApiError(res.status, problem, `${detail} (HTTP ${res.status})`);
    }
    if (res.status === 204 || text === '') return undefined;
    return JSON.parse(text) as T;
  }
}

/** One encoded path segment. */
export const seg = (s: string): string => encodeURIComponent(s);
