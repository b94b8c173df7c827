// The peers ship no type declarations; these cover the calls the benchmarks make, as their READMEs
// document them.

declare module "k2-connect-node" {
  interface K2Options {
    clientId: string;
    clientSecret: string;
    baseUrl: string;
    apiKey: string;
  }
  interface K2 {
    TokenService: {
      getToken(): Promise<{ access_token: string; token_type: string; expires_in: number; created_at?: string }>;
    };
  }
  export default function createK2(options: K2Options): K2;
}

declare module "simple-oauth2" {
  export interface AccessToken {
    token: Record<string, unknown> & { access_token?: unknown };
    expired(expirationWindowSeconds?: number): boolean;
  }
  export class ClientCredentials {
    constructor(options: { client: { id: string; secret: string }; auth: { tokenHost: string; tokenPath?: string } });
    getToken(params: { scope?: string | string[] }): Promise<AccessToken>;
  }
}

declare module "autocannon" {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
  }
  export interface Result {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    "2xx": number;
    latency: Histogram;
    requests: Histogram & { sent: number };
  }
  export interface Options {
    url: string;
    connections?: number;
    duration?: number;
    timeout?: number;
    headers?: Record<string, string>;
    maxOverallRequests?: number;
    method?: string;
  }
  export interface Instance {
    stop(): void;
  }
  export default function autocannon(
    options: Options,
    callback: (error: Error | null, result: Result) => void,
  ): Instance;
}
