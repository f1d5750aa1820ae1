/**
 * The one error type of the administration services (tenancies, members, keys, …). Thrown where the
 * decision is made; the admin API turns `kind` into an HTTP status and `message` into the problem detail.
 * Messages are shown to users as they are, so they never contain a secret.
 */
export type DomainErrorKind = 'invalid' | 'not-found' | 'conflict' | 'forbidden';

export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const invalid = (message: string): DomainError => new DomainError('invalid', message);
export const notFound = (message: string): DomainError => new DomainError('not-found', message);
export const conflict = (message: string): DomainError => new DomainError('conflict', message);
export const forbidden = (message: string): DomainError => new DomainError('forbidden', message);
