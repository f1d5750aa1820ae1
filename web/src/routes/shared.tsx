/** Shared with me (#/shared, #/shared/TENANCY/BUCKET): the list, or one shared bucket's objects. */
import type * as C from '../../../src/admin/contract.js';
import { usePageTitle } from '../lib/router.js';
import { SharedWithMe } from './home.js';
import { SharedObjects } from './objects.js';

export function Shared({ me, tenancy, bucket }: { me: C.Me; tenancy?: string; bucket?: string }) {
  usePageTitle(bucket ? `${bucket} (shared with me)` : 'Shared with me');
  if (tenancy && bucket) return <SharedObjects me={me} tenancy={tenancy} bucket={bucket} />;
  return <SharedWithMe />;
}
