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
