/** The K2 sandbox's remote control, for tests running inside workerd. */
import { inject } from "vitest";
import type { Fault, RecordedRequest, SettableOptions } from "../../../sandbox/server.ts";

export const sandboxUrl = (): string => inject("k2SandboxUrl");

async function control(path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${sandboxUrl()}/__sandbox/${path}`, {
    method: body === undefined && path === "requests" ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`sandbox control ${path}: ${response.status}`);
  return response;
}

export const upstream = {
  reset: async () => void (await control("reset", {})),
  expireTokens: async () => void (await control("expire", {})),
  revokeTokens: async () => void (await control("revoke", {})),
  inject: async (path: string, ...faults: Fault[]) => void (await control("inject", { path, faults })),
  /** Ends a payment now, whatever the sandbox's processing delay. */
  settle: async (id: string) => void (await control("settle", { id })),
  /** Options of the running sandbox; `reset()` undoes them. */
  setOptions: async (options: Partial<SettableOptions>) => void (await control("options", options)),
  requests: async (): Promise<RecordedRequest[]> => (await control("requests")).json(),
  async requestsTo(path: string): Promise<RecordedRequest[]> {
    return (await this.requests()).filter((request) => new URL(request.path, "http://x").pathname === path);
  },
};
