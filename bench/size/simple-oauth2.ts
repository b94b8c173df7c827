// "Get a K2 token" with simple-oauth2, as its README shows.
import { ClientCredentials } from "simple-oauth2";

const client = new ClientCredentials({
  client: { id: process.env.K2_CLIENT_ID!, secret: process.env.K2_CLIENT_SECRET! },
  auth: { tokenHost: "https://sandbox.kopokopo.com" },
});
console.log((await client.getToken({})).token.access_token);
