/**
 * How every feature reads its settings: a reader per feature, run once per isolate and settings
 * object, whose problems name the setting and never its value.
 */
import { InvalidInputError } from "../../src/index.ts";
import { checkedOrigin, checkedUrl } from "../../src/transport/origin.ts";

/** A setting that is missing or malformed; the message names the setting and never its value. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

// The runtime hands an isolate's requests the same env object, so each reader runs once per isolate.
const read = new WeakMap<object, Map<Function, unknown>>();

/**
 * What `reader` makes of `env`, computed once per env object; a {@link ConfigError} is kept and
 * thrown again, so a broken setting costs one parse, not one per request.
 */
export function settingsOf<E extends object, S>(env: E, reader: (env: E) => S): S {
  let known = read.get(env);
  if (!known) read.set(env, (known = new Map()));
  if (!known.has(reader)) {
    try {
      known.set(reader, reader(env));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      known.set(reader, error);
    }
  }
  const settings = known.get(reader);
  if (settings instanceof ConfigError) throw settings;
  return settings as S;
}

/** A whole number setting, at least `least`, or `fallback` when unset. */
export function wholeNumber(raw: string | undefined, name: string, fallback: number, least = 1): number {
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(String(raw).trim()) || Number(raw) < least)
    throw new ConfigError(name, `${name} must be a ${least > 0 ? "positive " : ""}whole number`);
  return Number(raw);
}

/** A text setting that must be there. */
export function requiredText(raw: string | undefined, name: string, why = ""): string {
  if (typeof raw !== "string" || raw.trim() === "") throw new ConfigError(name, `${name} is missing${why}`);
  return raw.trim();
}

/** An origin setting through the package's one origin guard: https, plain http only to this machine. */
export function originSetting(raw: string, name: string): string {
  return guarded(name, () => checkedOrigin(name, raw));
}

/** A URL setting through the same guard, kept as written. */
export function urlSetting(raw: string, name: string): string {
  return guarded(name, () => (checkedUrl(name, raw), raw));
}

function guarded(name: string, check: () => string): string {
  try {
    return check();
  } catch (error) {
    if (error instanceof InvalidInputError) throw new ConfigError(name, error.message);
    throw error;
  }
}

/** A binding that must be there: `method` is one it must have. */
export function requiredBinding<T>(binding: T | undefined, name: string, method: string, message: string): T {
  if (!binding || typeof (binding as Record<string, unknown>)[method] !== "function")
    throw new ConfigError(name, message);
  return binding;
}
