/**
 * The shared fixture of the MetadataStore contract (index.ts runs every aggregate's file against one store
 * implementation): a fresh store per test with one tenancy, one user and one bucket, and small builders.
 */
import assert from 'node:assert/strict';
import { newId } from '../../lib/ids.js';
import type { BucketRecord, MetadataStore, NewObject, TenancyRecord, UserRecord } from '../store.js';

export interface Fixture {
  store: MetadataStore;
  tenancy: TenancyRecord;
  user: UserRecord;
  bucket: BucketRecord;
}

/** What each aggregate's contract gets: how to open a fresh, empty store, and the helpers over it. */
export interface ContractContext {
  open: () => Promise<MetadataStore>;
  /** Runs `fn` with a fresh store holding one tenancy, one user and one bucket; always closes it. */
  withStore(fn: (f: Fixture) => Promise<void>): Promise<void>;
  assertUsage(store: MetadataStore, f: { tenancyId: string; bucketId: string }, bytes: number, objects: number): Promise<void>;
  /** The blob ids queued for deletion (taken from the queue). */
  queued(store: MetadataStore): Promise<Set<string>>;
}

export function contractContext(open: () => Promise<MetadataStore>): ContractContext {
  return {
    open,
    async withStore(fn) {
      const store = await open();
      try {
        const tenancy = await store.createTenancy({ name: `t-${newId().slice(0, 8)}` });
        const user = await store.createUser({ username: `u-${newId().slice(0, 8)}`, passwordHash: 'scrypt$x' });
        const made = await store.createBucket({ tenancyId: tenancy.id, name: 'bucket', ownerId: user.id, region: 'us-east-1' });
        assert.ok(made.created);
        await fn({ store, tenancy, user, bucket: made.bucket });
      } finally {
        await store.close();
      }
    },
    async assertUsage(store, f, bytes, objects) {
      assert.deepEqual(await store.getBucketUsage(f.bucketId), { bytes, objects }, 'bucket usage');
      assert.deepEqual(await store.getTenancyUsage(f.tenancyId), { bytes, objects }, 'tenancy usage');
    },
    async queued(store) {
      return new Set(await store.takeBlobDeletions(Date.now() + 60_000, 100_000));
    },
  };
}

export const quotedEtag = () => `"${newId()}"`;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A minimal single-blob object; override what the test cares about. */
export function obj(bucketId: string, key: string, over: Partial<NewObject> = {}): NewObject {
  return {
    bucketId,
    key,
    size: 4,
    etag: quotedEtag(),
    contentType: 'application/octet-stream',
    headers: {},
    inline: null,
    parts: [{ blobId: newId(), size: over.size ?? 4 }],
    checksum: null,
    tagging: null,
    ownerId: 'owner',
    storageClass: 'STANDARD',
    ...over,
  };
}

/** A multipart upload to create; override what the test cares about. */
export function upload(bucketId: string, key: string) {
  return {
    uploadId: newId(),
    bucketId,
    key,
    ownerId: 'owner',
    contentType: 'application/octet-stream',
    headers: {},
    tagging: null,
    storageClass: 'STANDARD',
    checksumAlgorithm: null,
    checksumType: null,
  };
}
