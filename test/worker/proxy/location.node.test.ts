/**
 * Which hosts count as K2's when the proxy decides where a rewritten `Location` may point (and
 * which `PUBLIC_ORIGIN` it refuses): a caller following a Location sends its proxy key along.
 */
import { expect, it } from "vitest";
import { namesK2Host } from "../../../worker/proxy/location.ts";

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
