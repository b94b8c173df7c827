// "Get a K2 token" with oauth4webapi and the few lines of caching users write around it.
import * as oauth from "oauth4webapi";

const as: oauth.AuthorizationServer = {
  issuer: "https://sandbox.kopokopo.com",
  token_endpoint: "https://sandbox.kopokopo.com/oauth/token",
};
const client: oauth.Client = { client_id: process.env.K2_CLIENT_ID! };
const authentication = oauth.ClientSecretPost(process.env.K2_CLIENT_SECRET!);
let cached: { token: string; expiresAt: number } | undefined;

async function getAccessToken(): Promise<string> {
  if (cached && Date.now() < cached.expiresAt - 60_000) return cached.token;
  const response = await oauth.clientCredentialsGrantRequest(as, client, authentication, new URLSearchParams());
  const answer = await oauth.processClientCredentialsResponse(as, client, response);
  cached = { token: answer.access_token, expiresAt: Date.now() + (answer.expires_in ?? 3600) * 1000 };
  return cached.token;
}
console.log(await getAccessToken());
