/** Who is making a request, as the pipeline established it. */
import type { AccessKeyRecord, UserRecord } from '../metadata/store.js';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; user: UserRecord; key: AccessKeyRecord };
