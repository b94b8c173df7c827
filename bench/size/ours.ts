// "Get a K2 token" with k2-connect-edge (cached, shared by concurrent callers).
import { K2Client } from "k2-connect-edge";

const k2 = new K2Client({
  clientId: process.env.K2_CLIENT_ID!,
  clientSecret: process.env.K2_CLIENT_SECRET!,
  environment: "sandbox",
});
console.log(await k2.getAccessToken());
