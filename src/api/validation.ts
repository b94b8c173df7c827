/**
 * Checking a request before it is sent: small rules that report every problem with its field path,
 * and the one error a bad request throws.
 *
 * Rules are built inside the functions that use them, never at module level, so that a bundler can
 * drop every resource a program does not import.
 *
 * @module
 */
import { K2EdgeError } from "../errors.ts";
import { isRecord } from "../transport/answer.ts";

/** One thing wrong with a request: where (`subscriber.phone_number`, `destinations[1].amount`) and what. */
export interface K2ValidationProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * A request was refused before anything was sent: it lists every problem found, each with the path
 * of its field in K2's wire format.
 *
 * @see {@link https://api-docs.kopokopo.com | K2 API reference (the request bodies and their fields)}
 * @example
 * ```ts
 * try { await createStkPush(k2, request); }
 * catch (e) { if (e instanceof K2ValidationError) for (const p of e.problems) form.mark(p.path, p.message); }
 * ```
 */
export class K2ValidationError extends K2EdgeError {
  override name = "K2ValidationError";
  readonly problems: readonly K2ValidationProblem[];

  constructor(what: string, problems: readonly K2ValidationProblem[]) {
    const list = problems.map((problem) => (problem.path ? `${problem.path} ${problem.message}` : problem.message));
    super(`Invalid ${what} request, nothing was sent: ${list.join("; ")}`);
    this.problems = Object.freeze(problems.map((problem) => Object.freeze({ ...problem })));
  }
}

/** Checks a value found at `path`, adding what is wrong to `problems`. */
export type Rule = (value: unknown, path: string, problems: K2ValidationProblem[]) => void;

/** Throws a {@link K2ValidationError} unless `request` passes `rule`; returns it unchanged otherwise. */
export function validate<T>(what: string, rule: Rule, request: T): T {
  const problems: K2ValidationProblem[] = [];
  rule(request, "", problems);
  if (problems.length > 0) throw new K2ValidationError(what, problems);
  return request;
}

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

/**
 * An object with these required and optional fields and no others: an unknown field is refused
 * (`tillNumber` for `till_number` is the mistake it catches). A field set to `undefined` counts as
 * absent, since `JSON.stringify` leaves it out.
 */
export function object(required: Record<string, Rule>, optional: Record<string, Rule> = {}): Rule {
  return (value, path, problems) => {
    if (!isRecord(value)) {
      problems.push({ path, message: "must be an object" });
      return;
    }
    for (const [key, rule] of Object.entries(required)) {
      const field = value[key];
      if (field === undefined || field === null || field === "")
        problems.push({ path: at(path, key), message: "is required" });
      else rule(field, at(path, key), problems);
    }
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined || key in required) continue;
      const rule = Object.hasOwn(optional, key) ? optional[key] : undefined;
      if (rule) rule(field, at(path, key), problems);
      else problems.push({ path: at(path, key), message: "is not a K2 field" });
    }
  };
}

/** All of these rules, in order; later ones can assume nothing about earlier ones' success. */
export function all(...rules: Rule[]): Rule {
  return (value, path, problems) => {
    for (const rule of rules) rule(value, path, problems);
  };
}

/** A non-empty string. */
export const text: Rule = (value, path, problems) => {
  if (typeof value !== "string" || value.trim() === "") problems.push({ path, message: "must be a non-empty string" });
};

/** One of a few exact strings. */
export function oneOf(...values: readonly string[]): Rule {
  const expected = values.map((v) => JSON.stringify(v)).join(", ");
  return (value, path, problems) => {
    if (typeof value !== "string" || !values.includes(value)) {
      problems.push({ path, message: values.length === 1 ? `must be ${expected}` : `must be one of ${expected}` });
    }
  };
}

/** K2 takes Kenyan shillings only. */
export const kes: Rule = (value, path, problems) => oneOf("KES")(value, path, problems);

/** A positive amount: a finite number, or a string of digits with an optional decimal part. */
export const amount: Rule = (value, path, problems) => {
  const ok =
    typeof value === "number"
      ? Number.isFinite(value) && value > 0
      : typeof value === "string" && /^\d+(\.\d+)?$/.test(value) && Number(value) > 0;
  if (!ok) problems.push({ path, message: 'must be a positive number or numeric string, e.g. 250 or "250.00"' });
};

/** `{ currency: "KES", value: <amount> }`. */
export const money: Rule = (value, path, problems) => object({ currency: kes, value: amount })(value, path, problems);

/**
 * A Kenyan mobile number in the given formats: `"+254"` (as K2's STK push takes it), `"254"` (as
 * send money takes it), each followed by 9 digits.
 */
export function phone(...prefixes: readonly ("+254" | "254")[]): Rule {
  const pattern = new RegExp(`^(${prefixes.map((p) => p.replace("+", "\\+")).join("|")})\\d{9}$`);
  const message = `must be ${prefixes.join(" or ")} followed by 9 digits, e.g. ${prefixes[0]}712345678`;
  return (value, path, problems) => {
    if (typeof value !== "string" || !pattern.test(value)) problems.push({ path, message });
  };
}

/** An absolute http(s) URL with a host: where K2 posts results and webhooks. */
export const url: Rule = (value, path, problems) => {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:") || !parsed.hostname) {
    problems.push({ path, message: "must be an absolute http(s) URL" });
  }
};

/** `_links: { callback_url }`, where K2 posts the result. */
export const callbackLinks: Rule = (value, path, problems) => object({ callback_url: url })(value, path, problems);

export const email: Rule = (value, path, problems) => {
  if (typeof value !== "string" || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value))
    problems.push({ path, message: "must be an email address" });
};

export const boolean: Rule = (value, path, problems) => {
  if (typeof value !== "boolean") problems.push({ path, message: "must be true or false" });
};

/** K2 keeps at most 5 metadata pairs. */
export const metadata: Rule = (value, path, problems) => {
  if (!isRecord(value)) problems.push({ path, message: "must be an object of key/value pairs" });
  else if (Object.values(value).filter((v) => v !== undefined).length > 5) {
    problems.push({ path, message: "must have at most 5 key/value pairs" });
  }
};

/** An ISO-8601 date and time with its offset, e.g. `2026-11-22T08:00:00+03:00`. */
export const isoTime: Rule = (value, path, problems) => {
  const ok =
    typeof value === "string" &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
  if (!ok) problems.push({ path, message: "must be an ISO-8601 time with an offset, e.g. 2026-11-22T08:00:00+03:00" });
};

/** A non-empty array whose every item passes `rule`. */
export function list(rule: Rule): Rule {
  return (value, path, problems) => {
    if (!Array.isArray(value) || value.length === 0) {
      problems.push({ path, message: "must be a non-empty array" });
      return;
    }
    value.forEach((item, index) => rule(item, `${path}[${index}]`, problems));
  };
}

/**
 * An object told apart by its `type`: `type` must be one of the keys of `shapes`, and the object is
 * then checked against that shape (which should list `type` itself).
 */
export function byType(shapes: Record<string, Rule>): Rule {
  const types = Object.keys(shapes);
  return (value, path, problems) => {
    const type = isRecord(value) ? value.type : undefined;
    const shape = typeof type === "string" && Object.hasOwn(shapes, type) ? shapes[type] : undefined;
    if (shape) shape(value, path, problems);
    else if (!isRecord(value)) problems.push({ path, message: "must be an object" });
    else oneOf(...types)(type, at(path, "type"), problems);
  };
}

/** A field only K2's v2 API takes, refused on v1. */
export function v2Only(version: "v1" | "v2", rule: Rule): Rule {
  return (value, path, problems) => {
    if (version === "v1") problems.push({ path, message: "is only accepted on v2" });
    else rule(value, path, problems);
  };
}

/**
 * Scope rules shared by polling and webhook subscriptions: a till needs its reference, a company
 * takes none. List `scope_reference` among the object's optional fields as {@link checkedByScope}.
 */
export const scopeRule: Rule = (value, path, problems) => {
  if (!isRecord(value)) return;
  const reference = value.scope_reference;
  const given = reference !== undefined && reference !== null && reference !== "";
  if (value.scope === "till" && !given)
    problems.push({ path: at(path, "scope_reference"), message: 'is required when scope is "till"' });
  else if (value.scope === "company" && reference !== undefined) {
    problems.push({ path: at(path, "scope_reference"), message: 'must not be set when scope is "company"' });
  } else if (reference !== undefined) text(reference, at(path, "scope_reference"), problems);
};

/** A field that another rule checks with its siblings in view. */
export const checkedByScope: Rule = () => {};
