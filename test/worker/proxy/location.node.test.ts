/**
 * Which hosts count as K2's when the proxy decides where a rewritten `Location` may point (and
 * which `PUBLIC_ORIGIN` it refuses): a caller following a Location sends its proxy key along.
 */
import { expect, it } from "vitest";
import { locationForCaller, namesK2Host } from "../../../worker/proxy/location.ts";

it("counts every spelling of K2's host as K2: any scheme or port on a network, any loopback name", () => {
  const production = "https://api.kopokopo.com";
  for (const host of ["https://api.kopokopo.com", "http://api.kopokopo.com:8080", "https://API.kopokopo.com."])
    expect(namesK2Host(new URL(host), production), host).toBe(true);
  expect(namesK2Host(new URL("https://proxy.example"), production)).toBe(false);
  expect(namesK2Host(new URL("https://api.kopokopo.com.evil.example"), production)).toBe(false);
  const local = "http://127.0.0.1:8788";
  for (const host of ["http://localhost:8788", "http://[::1]:8788", "http://127.0.0.1:8788"])
    expect(namesK2Host(new URL(host), local), host).toBe(true);
  expect(namesK2Host(new URL("http://127.0.0.1:8787"), local)).toBe(false);
});

it("rewrites a Location exactly as the URL parser reads it, whether or not the parser is needed", () => {
  // The rule read through the URL parser alone: what the quicker reading of plain paths must match.
  const parsed = (location: string, k2Origin: string, proxyOrigin: string | undefined, version: "v1" | "v2") => {
    let url: URL;
    try {
      url = new URL(location, k2Origin);
    } catch {
      return location;
    }
    if (url.origin !== k2Origin) return location;
    const path = /^\/api\/v[12]\//.test(url.pathname) ? url.pathname : `/api/${version}${url.pathname}`;
    return `${proxyOrigin ?? ""}${path}${url.search}`;
  };
  const k2 = "https://api.kopokopo.com";
  const locations = [
    `${k2}/api/v1/payments/p1`,
    `${k2}/incoming_payments/1?page=2&per_page=10`,
    `${k2}/api/v2/x/`,
    "/api/v2/x",
    "api/v2/x",
    `${k2}`,
    `${k2}/`,
    "https://API.kopokopo.com/api/v2/x",
    `${k2}:443/api/v2/x`,
    `${k2}/api/v2/./x/../y`,
    `${k2}/api/v2/%2e%2e/y`,
    `${k2}/api/v2/x?`,
    `${k2}/api/v2/x#part`,
    `${k2}/api/v2/x?q=a'b`,
    `${k2}/a b`,
    `${k2}.evil.example/api/v2/x`,
    `${k2}@evil.example/api/v2/x`,
    "//evil.example/api/v2/x",
    "https://elsewhere.example/api/v2/x",
    "http://[bad",
  ];
  for (const location of locations)
    for (const proxyOrigin of ["https://proxy.example", undefined])
      for (const version of ["v1", "v2"] as const)
        expect(locationForCaller(location, k2, proxyOrigin, version), location).toBe(
          parsed(location, k2, proxyOrigin, version),
        );
});
