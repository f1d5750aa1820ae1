/**
 * Problem documents (RFC 9457, application/problem+json) for the admin API. Each kind of failure has a
 * stable `type` URI under /_admin/api/v1/problems/ that clients may switch on; `detail` says what happened
 * in words a user can act on (never a secret).
 */
import type { Problem } from './contract.js';

const TITLES: Record<number, [slug: string, title: string]> = {
  400: ['invalid-request', 'Invalid request'],
  401: ['unauthenticated', 'Authentication required'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  413: ['too-large', 'Request body too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  500: ['internal-error', 'Internal error'],
  503: ['service-unavailable', 'Service unavailable'],
};

export const PROBLEM_BASE = '/_admin/api/v1/problems/';

export function problem(status: number, detail: string, slug?: string): Problem {
  const [defaultSlug, title] = TITLES[status] ?? ['error', 'Error'];
  return { type: PROBLEM_BASE + (slug ?? defaultSlug), title, status, detail };
}

/** Thrown by the admin pipeline itself (bad JSON, missing field, …); becomes the problem as is. */
export class AdminProblem extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly slug?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'AdminProblem';
  }
}

export const badRequest = (detail: string): AdminProblem => new AdminProblem(400, detail);
