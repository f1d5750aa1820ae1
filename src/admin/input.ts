/** Small readers for JSON request bodies: each failure is a 400 problem naming the field. */
import { badRequest } from './problems.js';

export type Json = Record<string, unknown>;

export function object(body: unknown): Json {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the request body must be a JSON object');
  return body as Json;
}

export function str(o: Json, field: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v === '') throw badRequest(`"${field}" is required and must be a non-empty string`);
  return v;
}

export function optStr(o: Json, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`"${field}" must be a string`);
  return v;
}

export function optBool(o: Json, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`"${field}" must be true or false`);
  return v;
}

/** A whole number ≥ 0, null (unlimited) or undefined (absent). */
export function optCount(o: Json, field: string): number | null | undefined {
  const v = o[field];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw badRequest(`"${field}" must be a whole number ≥ 0 or null`);
  return v;
}

/** An ISO 8601 date or date-time as epoch ms. */
export function time(o: Json, field: string): number {
  const s = str(o, field);
  const ms = Date.parse(s);
  if (!/^\d{4}-\d{2}-\d{2}/.test(s) || Number.isNaN(ms)) throw badRequest(`"${field}" must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z`);
  return ms;
}
