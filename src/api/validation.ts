/**
 * Checking a request before it is sent, and writing the body K2 receives.
 *
 * The policy: a request is refused only for what K2 certainly refuses (a missing required field, a
 * currency other than KES, an amount that is not a positive number, a malformed callback URL, more
 * than 5 metadata pairs, a value outside one of K2's fixed lists...). Everything an official SDK
 * sends is accepted, and sent in the form K2's documentation shows for that endpoint:
 *
 * - `null` and `undefined` both mean absent, and so does `""` (or blanks) in an optional field: an
 *   absent optional field is left out of the body.
 * - Numbers given for K2's numeric strings (`till_number`, `account_number`, amounts...) are sent
 *   as strings.
 * - Phone numbers are taken as `+254…`, `254…`, `0…` or the 9 digits alone, and sent as the
 *   endpoint documents them (see `phone`).
 * - A field K2 does not have is sent as given (K2 ignores it; TypeScript already catches typos).
 *   With `strict: true` in the call's options it is refused as `is not a K2 field` instead, and so
 *   are the few checks K2 is not known to make (v2-only fields on v1, the Daraja payload for other
 *   events).
 *
 * Every problem is reported with its field path, all at once, in one `K2ValidationError`.
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

/** What a check collects, and how strict it is. */
export interface Check {
  readonly problems: K2ValidationProblem[];
  /** Refuse fields K2 does not have (`strict: true` in the call's options). */
  readonly strict: boolean;
}

/**
 * Checks a value found at `path`, adding what is wrong to `check.problems`, and answers the value
 * to send (`undefined`: leave the field out).
 */
export type Rule = (value: unknown, path: string, check: Check) => unknown;

/**
 * Answers the body to send for `request`, or throws a {@link K2ValidationError} listing every
 * problem.
 */
export function validate(what: string, rule: Rule, request: unknown, options?: { strict?: boolean }): unknown {
  const check: Check = { problems: [], strict: options?.strict === true };
  const body = rule(request, "", check);
  if (check.problems.length > 0) throw new K2ValidationError(what, check.problems);
  return body;
}

const at = (path: string, key: string): string => (path ? `${path}.${key}` : key);

const problem = (check: Check, path: string, message: string): undefined => {
  check.problems.push({ path, message });
  return undefined;
};

/** `null`, `undefined`, and an empty or blank string: what K2's SDKs send for a field not given. */
export const absent = (value: unknown): boolean =>
  value === undefined || value === null || (typeof value === "string" && value.trim() === "");

/**
 * An object with these required and optional fields. A required field that is {@link absent} is
 * reported as `is required`; an absent optional one is left out. Other fields are sent as given,
 * or refused in strict mode. The body keeps the caller's order of fields.
 */
export function object(required: Record<string, Rule>, optional: Record<string, Rule> = {}): Rule {
  return (value, path, check) => {
    if (!isRecord(value)) return problem(check, path, "must be an object");
    const sent = new Map<string, unknown>();
    for (const [key, rule] of Object.entries(required)) {
      if (absent(value[key])) problem(check, at(path, key), "is required");
      else sent.set(key, rule(value[key], at(path, key), check));
    }
    for (const [key, rule] of Object.entries(optional)) {
      if (!absent(value[key])) sent.set(key, rule(value[key], at(path, key), check));
    }
    const body: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (sent.has(key)) {
        if (sent.get(key) !== undefined) body[key] = sent.get(key);
      } else if (Object.hasOwn(required, key) || Object.hasOwn(optional, key) || field === undefined) continue;
      else if (check.strict) problem(check, at(path, key), "is not a K2 field");
      else body[key] = field;
    }
    return body;
  };
}

/** These rules in turn, each given what the one before answered: a shape, then checks across its fields. */
export function all(...rules: Rule[]): Rule {
  return (value, path, check) => rules.reduce((sent, rule) => rule(sent, path, check), value);
}

/** A check across the fields of an object: `test` adds problems, the object is sent as it is. */
export function across(test: (value: Record<string, unknown>, check: Check) => void): Rule {
  return (value, _path, check) => {
    if (isRecord(value)) test(value, check);
    return value;
  };
}

/** A string. */
export const text: Rule = (value, path, check) =>
  typeof value === "string" ? value : problem(check, path, "must be a string");

/** One of K2's numeric strings (a till, an account, a reference): a string, or a number sent as one. */
export const digits: Rule = (value, path, check) => {
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return problem(check, path, "must be a string or a number");
};

/** One of a few exact strings. */
export function oneOf(...values: readonly string[]): Rule {
  const expected = values.map((v) => JSON.stringify(v)).join(", ");
  const message = values.length === 1 ? `must be ${expected}` : `must be one of ${expected}`;
  return (value, path, check) =>
    typeof value === "string" && values.includes(value) ? value : problem(check, path, message);
}

/** K2 takes Kenyan shillings only. */
export const kes: Rule = (value, path, check) => oneOf("KES")(value, path, check);

/**
 * A positive amount: a finite number or a string of digits with an optional decimal part, sent as
 * a string (`250` as `"250"`).
 */
export const amount: Rule = (value, path, check) => {
  const written = typeof value === "number" ? String(value) : value;
  const ok = typeof written === "string" && /^\d+(\.\d+)?$/.test(written) && Number(written) > 0;
  return ok ? written : problem(check, path, 'must be a positive number or numeric string, e.g. 250 or "250.00"');
};

/** `{ currency: "KES", value: <amount> }`. */
export const money: Rule = (value, path, check) => object({ currency: kes, value: amount })(value, path, check);

/**
 * A Kenyan mobile number, in any form the official SDKs send (`+254712345678`, `254712345678`,
 * `0712345678`, `712345678`), whatever its first digit (K2's own examples use `+254999999999`, and
 * Safaricom issues `1…` numbers), sent in the form given here: `"+254"` (STK push, recipients, merchant
 * wallets, as their docs show) or `"254"` (send money wallet destinations).
 */
export function phone(form: "+254" | "254"): Rule {
  return (value, path, check) => {
    const match = typeof value === "string" ? /^(?:\+254|254|0)?(\d{9})$/.exec(value) : null;
    if (match) return `${form}${match[1]}`;
    return problem(check, path, `must be a Kenyan mobile number: +254, 254 or 0 and 9 digits, e.g. ${form}712345678`);
  };
}

/** An absolute http(s) URL with a host: where K2 posts results and webhooks. */
export const url: Rule = (value, path, check) => {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === "string" ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:") || !parsed.hostname) {
    return problem(check, path, "must be an absolute http(s) URL");
  }
  return value;
};

/** `_links: { callback_url }`, where K2 posts the result. */
export const callbackLinks: Rule = (value, path, check) => object({ callback_url: url })(value, path, check);

/** An email address. */
export const email: Rule = (value, path, check) =>
  typeof value === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)
    ? value
    : problem(check, path, "must be an email address");

/** `true` or `false`. */
export const boolean: Rule = (value, path, check) =>
  typeof value === "boolean" ? value : problem(check, path, "must be true or false");

/** K2 keeps at most 5 metadata pairs; their keys and values are the caller's own. */
export const metadata: Rule = (value, path, check) => {
  if (!isRecord(value)) return problem(check, path, "must be an object of key/value pairs");
  if (Object.values(value).filter((v) => v !== undefined).length > 5) {
    return problem(check, path, "must have at most 5 key/value pairs");
  }
  return value;
};

/** An ISO-8601 date and time with its offset, e.g. `2026-11-22T08:00:00+03:00`. */
export const isoTime: Rule = (value, path, check) => {
  const ok =
    typeof value === "string" &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) &&
    !Number.isNaN(Date.parse(value));
  return ok ? value : problem(check, path, "must be an ISO-8601 time with an offset, e.g. 2026-11-22T08:00:00+03:00");
};

/** An array (possibly empty) whose every item passes `rule`. */
export function list(rule: Rule): Rule {
  return (value, path, check) =>
    Array.isArray(value)
      ? value.map((item, index) => rule(item, `${path}[${index}]`, check))
      : problem(check, path, "must be an array");
}

/**
 * An object told apart by its `type`: `type` must be one of the keys of `shapes`, and the object is
 * then checked against that shape (which should list `type` itself).
 */
export function byType(shapes: Record<string, Rule>): Rule {
  const types = Object.keys(shapes);
  return (value, path, check) => {
    if (!isRecord(value)) return problem(check, path, "must be an object");
    const type = value.type;
    if (typeof type === "string" && Object.hasOwn(shapes, type)) return shapes[type]!(value, path, check);
    if (absent(type)) return problem(check, at(path, "type"), "is required");
    return oneOf(...types)(type, at(path, "type"), check);
  };
}

/**
 * A field only K2's v2 API takes. On v1 it is sent as given like any field K2 does not have, or
 * refused in strict mode.
 */
export function v2Only(version: "v1" | "v2", rule: Rule): Rule {
  return (value, path, check) => {
    if (version === "v2") return rule(value, path, check);
    return check.strict ? problem(check, path, "is only accepted on v2") : value;
  };
}

/**
 * One of a few words in any case (PHP's tests send `"Company"`), sent in lower case as K2's docs
 * write them.
 */
export function anyCaseOf(...values: readonly string[]): Rule {
  const expected = values.map((v) => JSON.stringify(v)).join(", ");
  return (value, path, check) => {
    const lower = typeof value === "string" ? value.toLowerCase() : undefined;
    return lower !== undefined && values.includes(lower) ? lower : problem(check, path, `must be one of ${expected}`);
  };
}

/**
 * Polling and webhook subscriptions: `scope` is `till` or `company` in any case, sent in lower
 * case, and a till needs its `scope_reference` (a company's, `""` or `null` as the SDKs send it, is
 * left out).
 */
export function scoped(required: Record<string, Rule>, optional: Record<string, Rule>): Rule {
  return all(
    object({ ...required, scope: anyCaseOf("till", "company") }, { ...optional, scope_reference: digits }),
    across((value, check) => {
      if (value.scope === "till" && absent(value.scope_reference))
        problem(check, "scope_reference", 'is required when scope is "till"');
    }),
  );
}
