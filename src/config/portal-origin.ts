/**
 * Where the portal (and the admin API) lives, as an origin S3 never serves: user content, served by S3
 * with the uploader's Content-Type, must never run with the portal's authority (AWS keeps its console
 * and its buckets on different origins for the same reason). One home for the rules that follow from it:
 *
 * - which requests are portal requests: everything on the portal listener, and requests on any listener
 *   whose Host is `portalUrl`'s host (S3 is never served to that host name);
 * - the portal origin a portal request was made on: `portalUrl` when its host was named, else the portal
 *   listener as the browser addressed it (`http://<Host>`, the listener is plain HTTP);
 * - which S3 origin the portal's presigned URLs point at: for the listener, the same host name on the S3
 *   port; for `portalUrl`, the internal (http) or external (https) endpoint domain;
 * - which Origin may read S3's answers to presigned requests (CORS): exactly the portal's origin, i.e.
 *   `portalUrl`, or the portal listener on the S3 request's own host name.
 */
import type { GranaryConfig } from './config.js';

/**
 * `Host` header → lower-case host name without the port (`[::1]` keeps its brackets); undefined unless it
 * is a plain DNS name or IP literal (it ends up in URLs and the portal's CSP).
 */
export function hostnameOf(host: string | undefined): string | undefined {
  if (!host || !/^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

const withPort = (scheme: 'http' | 'https', host: string, port: number | undefined): string =>
  `${scheme}://${host}${port === undefined || port === (scheme === 'http' ? 80 : 443) ? '' : `:${port}`}`;

export class PortalOrigins {
  /** The portal listener's port once it listens (port 0 is resolved then). */
  #listenerPort: number | undefined;
  /** The S3 (plain HTTP) listener's port once it listens. */
  #s3Port: number | undefined;
  readonly #portalHost: string | undefined;

  constructor(private readonly config: Pick<GranaryConfig, 'portalUrl' | 'listenPortal' | 'internalDomain' | 'externalDomain' | 'publicPorts'>) {
    this.#portalHost = config.portalUrl ? new URL(config.portalUrl).hostname.toLowerCase() : undefined;
  }

  /** Called once the listeners listen. */
  listening(ports: { s3: number; portal: number | undefined }): void {
    this.#s3Port = ports.s3;
    this.#listenerPort = ports.portal;
  }

  /** Whether there is a separate portal listener. */
  get hasListener(): boolean {
    return this.config.listenPortal !== undefined;
  }

  /** Whether a request on an S3 listener names the portal's host (`portalUrl`). */
  isPortalHost(host: string | undefined): boolean {
    return this.#portalHost !== undefined && hostnameOf(host) === this.#portalHost;
  }

  /** The portal origin a portal request was made on (see the module comment). */
  originOf(host: string | undefined): string {
    if (this.config.portalUrl && this.isPortalHost(host)) return this.config.portalUrl;
    if (host && hostnameOf(host) !== undefined) return new URL(`http://${host.toLowerCase()}`).origin;
    return this.url();
  }

  /** The S3 origin the portal's presigned URLs point at, for a portal request made on `portalOrigin`. */
  s3OriginFor(portalOrigin: string): string {
    const internalPort = this.config.publicPorts.internal ?? this.#s3Port;
    if (this.config.portalUrl && portalOrigin === this.config.portalUrl) {
      return new URL(portalOrigin).protocol === 'https:'
        ? withPort('https', this.config.externalDomain, this.config.publicPorts.external)
        : withPort('http', this.config.internalDomain, internalPort);
    }
    return withPort('http', new URL(portalOrigin).hostname, internalPort);
  }

  /**
   * Whether `origin` (a browser's Origin header) is the portal's, for an S3 request that arrived with
   * `host`: the configured `portalUrl`, or the portal listener on that same host name. Nothing else.
   */
  allowsOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (!origin) return false;
    if (this.config.portalUrl && origin === this.config.portalUrl) return true;
    if (this.#listenerPort === undefined) return false;
    const h = hostnameOf(host);
    return h !== undefined && origin === withPort('http', h, this.#listenerPort);
  }

  /** Where to point someone who asked an S3 endpoint (`host`) for the portal: the portal of that host. */
  urlFor(host: string | undefined): string {
    if (this.config.portalUrl) return this.config.portalUrl;
    const h = hostnameOf(host);
    return h !== undefined && this.#listenerPort !== undefined ? withPort('http', h, this.#listenerPort) : this.url();
  }

  /** The portal's URL to point people at: `portalUrl`, else the portal listener (its address as configured). */
  url(): string {
    if (this.config.portalUrl) return this.config.portalUrl;
    const l = this.config.listenPortal;
    const host = !l ? 'localhost' : l.host.includes(':') ? `[${l.host}]` : l.host;
    return withPort('http', host, this.#listenerPort ?? l?.port);
  }
}
