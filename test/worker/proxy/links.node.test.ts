/** Which K2 answers have their `_links` rewritten (worker/proxy/links.ts), and which pass as K2 sent them. */
import { expect, it } from "vitest";
import { bodyWithProxyLinks, LINKED_BODY_BYTES } from "../../../worker/proxy/links.ts";

const K2 = "https://sandbox.kopokopo.com";
const PROXY = "https://k2-proxy.example.com";
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).buffer as ArrayBuffer;
const read = (body: ArrayBuffer) => JSON.parse(new TextDecoder().decode(body));

it("rewrites K2-origin links at any depth by the Location rule, and nothing else", () => {
  const answer = {
    data: {
      id: "p1",
      attributes: {
        note: `${K2}/api/v1/payments/p1`, // not a link: left as it is
        _links: { self: `${K2}/api/v1/payments/p1`, callback_url: "https://shop.example/k2", relative: "/x" },
        transactions: [{ _links: { self: `${K2}/buygoods_transactions/t1` } }],
      },
    },
  };
  const out = read(bodyWithProxyLinks(bytes(answer), "application/json; charset=utf-8", K2, PROXY, "v1"));
  expect(out.data.attributes._links).toEqual({
    self: `${PROXY}/api/v1/payments/p1`,
    callback_url: "https://shop.example/k2",
    relative: "/x",
  });
  // Without /api/vN, the request's version is put back, as for a Location.
  expect(out.data.attributes.transactions[0]._links.self).toBe(`${PROXY}/api/v1/buygoods_transactions/t1`);
  expect(out.data.attributes.note).toBe(`${K2}/api/v1/payments/p1`);
  // With Host naming K2 there is no proxy origin: the link is relative, as the Location is.
  const relative = read(bodyWithProxyLinks(bytes(answer), "application/json", K2, undefined, "v1"));
  expect(relative.data.attributes._links.self).toBe("/api/v1/payments/p1");
});

it("moves a link on K2's origin however it is spelled, and no link that only looks like one", () => {
  const answer = {
    _links: {
      upper: "HTTPS://SANDBOX.KOPOKOPO.COM/api/v2/x/1",
      port: "https://sandbox.kopokopo.com:443/api/v2/x/2",
      query: `${K2}?page=2`,
      subdomain: `${K2}.evil.example/api/v2/x/3`,
      user: `${K2}@evil.example/api/v2/x/4`,
      other: "https://evil.example/?next=https://sandbox.kopokopo.com/api/v2/x/5",
    },
  };
  expect(read(bodyWithProxyLinks(bytes(answer), "application/json", K2, PROXY, "v2"))._links).toEqual({
    upper: `${PROXY}/api/v2/x/1`,
    port: `${PROXY}/api/v2/x/2`,
    query: `${PROXY}/api/v2/?page=2`,
    subdomain: answer._links.subdomain,
    user: answer._links.user,
    other: answer._links.other,
  });
});

it("changes only the links' bytes: K2's numbers, spacing, escapes and look-alike text stay as K2 wrote them", () => {
  const answer = (self: string) =>
    `{ "data": {"amount": 12345678901234567890.10, "name": "Jos\\u00e9 \\"_links\\": {x}", "tags": ["_links", "{"],\n` +
    `  "_links" : { "self" : ${self}, "nested": {"self": "${K2}/api/v2/x/2"}, "list": ["${K2}/api/v2/x/3"] } } }`;
  const escaped = `"${K2.replaceAll("/", "\\/")}\\/api\\/v2\\/x\\/1"`;
  const out = bodyWithProxyLinks(
    new TextEncoder().encode(answer(escaped)).buffer as ArrayBuffer,
    "application/json",
    K2,
    PROXY,
    "v2",
  );
  expect(new TextDecoder().decode(out)).toBe(answer(`"${PROXY}/api/v2/x/1"`));
});

it("hands back K2's very bytes when there is nothing to rewrite or the body is not small JSON", () => {
  const linked = { _links: { self: `${K2}/api/v2/x/1` } };
  const untouched: [ArrayBuffer, string | null][] = [
    [bytes(linked), "text/plain"],
    [bytes(linked), null],
    [bytes({ _links: { self: "https://elsewhere.example/api/v2/x/1" } }), "application/json"],
    [bytes({ data: { self: `${K2}/api/v2/x/1` } }), "application/json"],
    [new TextEncoder().encode(`{"_links":{"self":"${K2}/api/v2/x/1"}`).buffer as ArrayBuffer, "application/json"],
    [bytes({ ...linked, padding: "y".repeat(LINKED_BODY_BYTES) }), "application/json"],
  ];
  for (const [body, type] of untouched) expect(bodyWithProxyLinks(body, type, K2, PROXY, "v2")).toBe(body);
});
