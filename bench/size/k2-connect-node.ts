// "Get a K2 token" with the official SDK, as its README shows.
import createK2 from "k2-connect-node";

const K2 = createK2({
  clientId: process.env.K2_CLIENT_ID!,
  clientSecret: process.env.K2_CLIENT_SECRET!,
  baseUrl: "https://sandbox.kopokopo.com",
  apiKey: process.env.K2_API_KEY!,
});
console.log((await K2.TokenService.getToken()).access_token);
