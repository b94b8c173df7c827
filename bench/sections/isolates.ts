/** Many isolates in workerd: harness/many-isolates.ts, in a process of its own like every section. */
import { runManyIsolates, type IsolatesResult } from "../../harness/many-isolates.ts";
import { serveSection } from "../lib/child.ts";

export type IsolatesInput = Record<string, never>;

serveSection<IsolatesInput, IsolatesResult>(runManyIsolates);
