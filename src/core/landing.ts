/**
 * A public bucket's landing page settings, kept as the bucket's `landing` document: whether browsers get
 * the page at the bucket's public URL, its title and description, a citation to show, and which object
 * is its README (Markdown). Validated here once; the page itself is s3/landing-page.ts.
 */
import { invalid } from '../tenancy/domain-error.js';

export interface LandingSettings {
  enabled: boolean;
  title: string;
  description: string;
  citation: string;
  /** Key of the README rendered on the page ('' for none). */
  readme: string;
}

export const DEFAULT_LANDING: LandingSettings = { enabled: false, title: '', description: '', citation: '', readme: 'README.md' };

const LIMITS: Record<'title' | 'description' | 'citation' | 'readme', number> = { title: 200, description: 2000, citation: 4000, readme: 1024 };

/** The stored settings (defaults for a bucket without any; a document that no longer reads is off). */
export function landingOf(stored: string | null): LandingSettings {
  if (stored === null) return { ...DEFAULT_LANDING };
  try {
    return { ...DEFAULT_LANDING, ...(JSON.parse(stored) as Partial<LandingSettings>) };
  } catch {
    return { ...DEFAULT_LANDING };
  }
}

/** Settings from a request body, each field checked; fields left out keep their `current` value. */
export function landingFrom(body: Record<string, unknown>, current: LandingSettings): LandingSettings {
  const out = { ...current };
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') throw invalid('"enabled" must be true or false');
    out.enabled = body.enabled;
  }
  for (const k of ['title', 'description', 'citation', 'readme'] as const) {
    const v = body[k];
    if (v === undefined) continue;
    if (typeof v !== 'string') throw invalid(`"${k}" must be text`);
    if (v.length > LIMITS[k]) throw invalid(`"${k}" must be at most ${LIMITS[k]} characters`);
    out[k] = k === 'readme' ? v.trim() : v;
  }
  return out;
}
