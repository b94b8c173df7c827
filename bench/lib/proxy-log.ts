/** Reading the proxy's log: one JSON line per request, as workerd or wrangler dev prints them. */

/** What the log says of a run. */
export interface ProxyLogTally {
  loggedRequests: number;
  statuses: Record<string, number>;
  tokenSources: Record<string, number>;
  replayed: number;
  /** The first few error lines, cut to 300 characters. */
  errorLines: string[];
}

/** Tallies the proxy's one-JSON-line-per-request log (lines may carry a prefix before the JSON). */
export function readProxyLog(output: string): ProxyLogTally {
  const tokenSources: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const errorLines: string[] = [];
  let loggedRequests = 0;
  let replayed = 0;
  for (const line of output.split("\n")) {
    const start = line.indexOf("{");
    if (start === -1) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (entry.level === "error") {
      if (errorLines.length < 10) errorLines.push(line.slice(start, start + 300));
      continue;
    }
    if (typeof entry.requestId !== "string") continue;
    loggedRequests++;
    const source = typeof entry.tokenSource === "string" ? entry.tokenSource : "none";
    tokenSources[source] = (tokenSources[source] ?? 0) + 1;
    statuses[String(entry.status)] = (statuses[String(entry.status)] ?? 0) + 1;
    if (entry.replayed === true) replayed++;
  }
  return { tokenSources, statuses, loggedRequests, replayed, errorLines };
}
