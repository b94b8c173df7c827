/**
 * A real authorization server for protocol tests: panva's oidc-provider on loopback, with
 * client-credentials, introspection and revocation switched on.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type ClientMetadata, type Configuration } from "oidc-provider";

export interface OidcServer {
  issuer: string;
  tokenEndpoint: string;
  revocationEndpoint: string;
  introspectionEndpoint: string;
  authorizationEndpoint: string;
  /** The provider itself, to look up what it issued (e.g. `provider.AccessToken.find(token)`). */
  provider: Provider;
  close(): Promise<void>;
}

export type OidcClientConfig = ClientMetadata & {
  token_endpoint_auth_method: "client_secret_basic" | "client_secret_post" | "none";
};

/**
 * Starts the provider. `configuration` is optional extra provider configuration (e.g.
 * `rotateRefreshToken`, `pkce`, `ttl`); its `features` are merged with the defaults here.
 */
export async function startOidcServer(
  clients: OidcClientConfig[],
  configuration: Configuration = {},
): Promise<OidcServer> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    ...configuration,
    clients: clients.map((client) => ({
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      ...client,
    })),
    features: Object.assign(
      {
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        revocation: { enabled: true },
        devInteractions: { enabled: true },
      },
      configuration.features,
    ),
  });
  server.on("request", provider.callback());
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    authorizationEndpoint: `${issuer}/auth`,
    provider,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
