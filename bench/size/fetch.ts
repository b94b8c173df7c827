// "Get a K2 token" by hand with fetch and URLSearchParams (no cache).
const response = await fetch("https://sandbox.kopokopo.com/oauth/token", {
  method: "POST",
  headers: { accept: "application/json" },
  body: new URLSearchParams({
    client_id: process.env.K2_CLIENT_ID!,
    client_secret: process.env.K2_CLIENT_SECRET!,
    grant_type: "client_credentials",
  }),
});
if (!response.ok) throw new Error(`token request failed: ${response.status}`);
console.log(((await response.json()) as { access_token: string }).access_token);
