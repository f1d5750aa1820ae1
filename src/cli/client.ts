/**
 * The CLI's way to the admin API: the shared typed client (admin/api-client.ts, the portal's too) over
 * fetch with HTTP Basic. A server that cannot be reached is a ConnectionError; a refusal is the client's
 * AdminApiError with the problem's detail, which is what the CLI shows the user.
 */
import { ADMIN_API_PREFIX, AdminApiClient, AdminApiError, type Transport } from '../admin/api-client.js';
import type { CliSettings } from './settings.js';

export { AdminApiError as ApiError };
export type AdminClient = AdminApiClient;

/** The server could not be reached at all. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

export function basicTransport(settings: CliSettings): Transport {
  return async (r) => {
    const headers = { ...r.headers };
    if (settings.user !== undefined) headers.authorization = 'Basic ' + Buffer.from(`${settings.user}:${settings.password ?? ''}`).toString('base64');
    let res: Response;
    try {
      res = await fetch(settings.url + ADMIN_API_PREFIX + r.path, { method: r.method, headers, body: r.body });
    } catch (e) {
      const cause = (e as { cause?: { message?: string } }).cause?.message;
      throw new ConnectionError(`cannot reach ${settings.url}: ${cause ?? (e as Error).message}`);
    }
    return { status: res.status, text: await res.text() };
  };
}

export function adminClient(settings: CliSettings): AdminApiClient {
  return new AdminApiClient(basicTransport(settings));
}
