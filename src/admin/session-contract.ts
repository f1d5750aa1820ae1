/**
 * Request/response bodies of the portal's session endpoints (`/_admin/api/v1/session…`), kept beside
 * contract.ts so the portal imports types only. Sign-in and elevation bodies are `{ username, password }`
 * and `{ password }`.
 */

export interface SignInRequest {
  username: string;
  password: string;
}
export interface ElevateRequest {
  password: string;
}
export interface SessionInfo {
  signedIn: boolean;
  username: string | null;
  /** Send as X-CSRF-Token on every POST/PUT/PATCH/DELETE made with the session cookie. */
  csrfToken: string | null;
  /** Until when key management is unlocked (ISO 8601), or null. */
  elevatedUntil: string | null;
}
