/** Starts the K2 sandbox in Node for the tests that run inside workerd; they drive it over HTTP. */
import type { TestProject } from "vitest/node";
import { K2Sandbox } from "../../sandbox/server.js";

declare module "vitest" {
  export interface ProvidedContext {
    k2SandboxUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sandbox = await new K2Sandbox().listen();
  project.provide("k2SandboxUrl", sandbox.url);
  return () => sandbox.close();
}
