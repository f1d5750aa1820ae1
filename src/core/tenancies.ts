/**
 * Tenancies as the S3 pipeline finds them: by the name in a host or a `tenancy:bucket` path, and by the id
 * an access key belongs to. The pipeline asks here, not the metadata store (issue 18).
 */
import type { TenancyRecord, TenancyRepository } from '../metadata/store.js';

export class TenancyLookup {
  constructor(private readonly metadata: Pick<TenancyRepository, 'getTenancyByName' | 'getTenancyById'>) {}

  /** The tenancy of that name, or undefined (a host label may name a bucket instead). */
  named(name: string): Promise<TenancyRecord | undefined> {
    return this.metadata.getTenancyByName(name);
  }

  /** The tenancy with that id, or undefined when it has been deleted. */
  byId(id: string): Promise<TenancyRecord | undefined> {
    return this.metadata.getTenancyById(id);
  }
}
