/**
 * The S3 endpoint URLs of a tenancy: `http://<tenancy>.<internalDomain>[:port]` and
 * `https://<tenancy>.<externalDomain>[:port]` (the port is left out when it is the scheme's default).
 */
export interface EndpointSettings {
  internalDomain: string;
  externalDomain: string;
  /** Port the internal URL names; a function because the listen port is known only once listening. */
  internalPort: () => number | undefined;
  /** Likewise for the HTTPS listener (port 0 in tests is resolved only once listening). */
  externalPort: () => number | undefined;
}

export interface TenancyEndpoints {
  internal: string;
  external: string;
}

export function tenancyEndpoints(tenancy: string, s: EndpointSettings): TenancyEndpoints {
  const port = (p: number | undefined, dflt: number): string => (p === undefined || p === dflt ? '' : `:${p}`);
  return {
    internal: `http://${tenancy}.${s.internalDomain}${port(s.internalPort(), 80)}`,
    external: `https://${tenancy}.${s.externalDomain}${port(s.externalPort(), 443)}`,
  };
}
