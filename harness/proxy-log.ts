/** Reading the proxy's log: one JSON line per request, as workerd prints it. */

/** What the log says of a run. */
export interface ProxyLogTally {
  /** Request lines (those with a requestId). */
  lines: number;
  statuses: Record<string, number>;
  tokenSources: Record<string, number>;
  replayed: number;
  /** Error lines by their `event`. */
  errorEvents: Record<string, number>;
  /** The first few lines that are not JSON, cut to 200 characters. */
  other: string[];
}

/** Tallies the proxy's one-JSON-line-per-request log (lines may carry a prefix before the JSON). */
export function readProxyLog(output: string): ProxyLogTally {
  const tally: ProxyLogTally = { lines: 0, statuses: {}, tokenSources: {}, replayed: 0, errorEvents: {}, other: [] };
  const count = (record: Record<string, number>, key: string) => (record[key] = (record[key] ?? 0) + 1);
  for (const line of output.split("\n")) {
    if (line.trim() === "") continue;
    const start = line.indexOf("{");
    let entry: Record<string, unknown> | undefined;
    try {
      entry = start === -1 ? undefined : (JSON.parse(line.slice(start)) as Record<string, unknown>);
    } catch {
      // not JSON
    }
    if (!entry) {
      if (tally.other.length < 10) tally.other.push(line.slice(0, 200));
      continue;
    }
    if (entry.level === "error") {
      count(tally.errorEvents, String(entry.event ?? "error"));
      continue;
    }
    if (typeof entry.requestId !== "string") continue;
    tally.lines++;
    count(tally.tokenSources, typeof entry.tokenSource === "string" ? entry.tokenSource : "none");
    count(tally.statuses, String(entry.status));
    if (entry.replayed === true) tally.replayed++;
  }
  return tally;
}
