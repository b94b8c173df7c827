/**
 * "Get a K2 token", written with each library the way its README shows, so every benchmark compares
 * the same job. Ours is the built package (dist/), which is what users install.
 *
 * - `request`: one client-credentials round trip, nothing cached (the round-trip benchmark);
 * - `getter`: what an application calls whenever it needs a token (the herd and warm benchmarks).
 */
import createK2 from "k2-connect-node";
import * as oauth from "oauth4webapi";
import { ClientCredentials } from "simple-oauth2";
import { K2Client, OAuth2Client } from "../dist/index.js";
import { DEV_CLIENT } from "../sandbox/credentials.ts";

export type TokenGetter = () => Promise<string>;

export interface Contender {
  /** Stable id, used in results.json. */
  readonly id: string;
  /** How the table names it. */
  readonly label: string;
  /** A fresh client against `baseUrl`, making one token request per call. Absent: not applicable. */
  readonly request?: (baseUrl: string) => TokenGetter;
  /** A fresh client against `baseUrl`, used as an application would for every token it needs. */
  readonly getter?: (baseUrl: string) => TokenGetter;
}

const { clientId, clientSecret } = DEV_CLIENT;
// oauth4webapi refuses plain http unless told otherwise; the benchmark servers are on loopback.
const insecure = { [oauth.allowInsecureRequests]: true };
// Renew a minute early: what hand-rolled caches do ("expires_in - 60").
const SKEW_MS = 60_000;

/** oauth4webapi's client-credentials grant, as in its examples/client_credentials.ts. */
function oauth4webapiRequest(baseUrl: string): () => Promise<oauth.TokenEndpointResponse> {
  const as: oauth.AuthorizationServer = { issuer: baseUrl, token_endpoint: `${baseUrl}/oauth/token` };
  const client: oauth.Client = { client_id: clientId };
  const authentication = oauth.ClientSecretPost(clientSecret);
  return async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      authentication,
      new URLSearchParams(),
      insecure,
    );
    return oauth.processClientCredentialsResponse(as, client, response);
  };
}

export const OURS: Contender = {
  id: "ours",
  label: "k2-connect-edge (ours)",
  // A renewal, as a long-lived client makes one every hour: the cached token is dropped, so the
  // next getAccessToken() goes through every tier (memory, cache) to the token endpoint.
  request: (baseUrl) => {
    // An hour passes between calls on the client's clock: every call finds its token expired.
    let clock = Date.now();
    const k2 = new K2Client({ clientId, clientSecret, baseUrl, now: () => clock });
    return async () => {
      clock += 3_600_000;
      return k2.getAccessToken();
    };
  },
  getter: (baseUrl) => {
    const k2 = new K2Client({ clientId, clientSecret, baseUrl });
    return () => k2.getAccessToken();
  },
};

/** A new client's first token: construction and one token request, as a one-shot script pays. */
export const OURS_NEW_CLIENT: Contender = {
  id: "ours-new-client",
  label: "k2-connect-edge: new K2Client + first getAccessToken()",
  request: (baseUrl) => () => new K2Client({ clientId, clientSecret, baseUrl }).getAccessToken(),
};

/** Our generic OAuth 2.0 client, configured as K2 wants it: the request alone, no cache. */
export const OURS_OAUTH2: Contender = {
  id: "ours-oauth2",
  label: "k2-connect-edge OAuth2Client.clientCredentials()",
  request: (baseUrl) => {
    const client = new OAuth2Client({
      clientId,
      clientSecret,
      tokenEndpoint: `${baseUrl}/oauth/token`,
      clientAuthentication: "client_secret_post",
    });
    return async () => (await client.clientCredentials()).accessToken;
  },
};

/** The floor: what a careful user writes by hand with `fetch` and `URLSearchParams`. */
export const HAND_WRITTEN: Contender = {
  id: "fetch",
  label: "hand-written fetch + URLSearchParams",
  request: (baseUrl) => async () => {
    const response = await fetch(`${baseUrl}/oauth/token`, {
      method: "POST",
      headers: { accept: "application/json" },
      body: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, grant_type: "client_credentials" }),
    });
    if (!response.ok) throw new Error(`token request failed: ${response.status}`);
    return ((await response.json()) as { access_token: string }).access_token;
  },
};

/** The official SDK, as its README shows: `TokenService.getToken()`; it caches nothing. */
export const K2_CONNECT_NODE: Contender = {
  id: "k2-connect-node",
  label: "k2-connect-node (official SDK)",
  request: (baseUrl) => {
    const K2 = createK2({ clientId, clientSecret, baseUrl, apiKey: "bench-api-key" });
    return async () => (await K2.TokenService.getToken()).access_token;
  },
  getter: (baseUrl) => {
    const K2 = createK2({ clientId, clientSecret, baseUrl, apiKey: "bench-api-key" });
    // README: "Developer can decide to store the token_details and track expiry": it shows none.
    return async () => (await K2.TokenService.getToken()).access_token;
  },
};

/** simple-oauth2, as its README shows: `getToken()`, and `expired()` to decide when to get another. */
export const SIMPLE_OAUTH2: Contender = {
  id: "simple-oauth2",
  label: "simple-oauth2",
  request: (baseUrl) => {
    const client = new ClientCredentials({
      client: { id: clientId, secret: clientSecret },
      auth: { tokenHost: baseUrl },
    });
    return async () => (await client.getToken({})).token.access_token as string;
  },
  getter: (baseUrl) => {
    const client = new ClientCredentials({
      client: { id: clientId, secret: clientSecret },
      auth: { tokenHost: baseUrl },
    });
    let accessToken: Awaited<ReturnType<typeof client.getToken>> | undefined;
    return async () => {
      if (!accessToken || accessToken.expired(SKEW_MS / 1000)) accessToken = await client.getToken({});
      return accessToken.token.access_token as string;
    };
  },
};

/** oauth4webapi with the cache most users write around it: keep the token until a minute before expiry. */
export const OAUTH4WEBAPI: Contender = {
  id: "oauth4webapi",
  label: "oauth4webapi + hand-rolled cache",
  request: (baseUrl) => {
    const grant = oauth4webapiRequest(baseUrl);
    return async () => (await grant()).access_token;
  },
  getter: (baseUrl) => {
    const grant = oauth4webapiRequest(baseUrl);
    let cached: { token: string; expiresAt: number } | undefined;
    return async () => {
      if (cached && Date.now() < cached.expiresAt - SKEW_MS) return cached.token;
      const answer = await grant();
      cached = { token: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 };
      return cached.token;
    };
  },
};

/** The same, with the in-flight promise shared too: single flight in a few more lines. */
export const OAUTH4WEBAPI_SHARED: Contender = {
  id: "oauth4webapi-shared",
  label: "oauth4webapi + hand-rolled cache sharing the in-flight request",
  getter: (baseUrl) => {
    const grant = oauth4webapiRequest(baseUrl);
    let cached: { token: string; expiresAt: number } | undefined;
    let pending: Promise<{ token: string; expiresAt: number }> | undefined;
    return async () => {
      if (cached && Date.now() < cached.expiresAt - SKEW_MS) return cached.token;
      pending ??= grant()
        .then(
          (answer) =>
            (cached = { token: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 }),
        )
        .finally(() => (pending = undefined));
      return (await pending).token;
    };
  },
};

/** Every contender, ours first. */
export const CONTENDERS: readonly Contender[] = [
  OURS,
  OURS_NEW_CLIENT,
  OURS_OAUTH2,
  HAND_WRITTEN,
  K2_CONNECT_NODE,
  SIMPLE_OAUTH2,
  OAUTH4WEBAPI,
  OAUTH4WEBAPI_SHARED,
];

/** The contender with this id (the id is what sections receive from the runner). */
export function contender(id: string): Contender {
  const found = CONTENDERS.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`unknown contender ${id}`);
  return found;
}
