/**
 * A request's parameters as Rails gathers them for a controller (and so for Doorkeeper): the query
 * string, with a form or JSON body over it. K2's OAuth endpoints read client credentials and tokens
 * from these, which is why the official Node and Python SDKs can send revoke and introspect as JSON.
 */

/** The parameters of one request, by name. */
export interface Parameters {
  get(name: string): string | undefined;
}

/**
 * The query's parameters with the body's laid over them. A body is JSON when its content type says
 * so, as Rails decides; anything else is read as a form. Non-string JSON values are written as
 * strings, as Rails' parameters hold them; a body that does not parse adds nothing.
 */
export function requestParameters(query: URLSearchParams, headers: Record<string, string>, body: string): Parameters {
  const values = new Map<string, string>(query);
  const type = (headers["content-type"] ?? "").toLowerCase();
  if (/^application\/(?:[\w.+-]+\+)?json\b/.test(type)) {
    for (const [name, value] of Object.entries(jsonObject(body)))
      if (value !== null && value !== undefined) values.set(name, typeof value === "string" ? value : String(value));
  } else {
    for (const [name, value] of new URLSearchParams(body)) values.set(name, value);
  }
  return { get: (name) => values.get(name) };
}

function jsonObject(body: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
