/**
 * The dashboard (docs/dashboard.md): one page, one script and one stylesheet, served from this
 * module's strings so the Worker needs no asset binding and its bundle grows by a few KiB. They
 * carry no data and need no key; every figure comes from calls that do: `GET /payments`,
 * `GET /k2/events`, `POST /k2/events/<id>/replay`, and `GET /dashboard/health` below.
 *
 * The page is held to a strict Content-Security-Policy (its own script and style only, calls to its
 * own origin only, never framed), so a payload shown in it cannot run or send anything.
 */
import { k2CacheKey, KvTokenCache } from "../../src/index.ts";
import { k2Settings, type K2Env } from "../common/k2-settings.ts";
import { jsonResponse } from "../common/responses.ts";
import { ledgerHealth, type LedgerEnv } from "../ledger/client.ts";
import { FLUSH_EVERY_MS, lastHourCounts, type MetricsEnv } from "../metrics/client.ts";
import { APP_CSS, APP_JS, PAGE_HTML } from "./assets.ts";

export const DASHBOARD_PATH = "/dashboard";
export const DASHBOARD_HEALTH_PATH = "/dashboard/health";

/** The broker renews a token this long before it expires (its `BROKER_EXPIRY_SKEW_SECONDS`). */
const RENEWAL_LEAD_MS = 120_000;

const HOUR_MS = 3_600_000;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ASSETS: Readonly<Record<string, { body: string; type: string }>> = {
  [DASHBOARD_PATH]: { body: PAGE_HTML, type: "text/html; charset=utf-8" },
  [`${DASHBOARD_PATH}/app.js`]: { body: APP_JS, type: "text/javascript; charset=utf-8" },
  [`${DASHBOARD_PATH}/app.css`]: { body: APP_CSS, type: "text/css; charset=utf-8" },
};

export const isDashboardAsset = (pathname: string): boolean => Object.hasOwn(ASSETS, pathname);

/** The page, its script or its stylesheet, each with the page's security headers. */
export function serveAsset(request: Request, url: URL): Response {
  const asset = ASSETS[url.pathname]!;
  return new Response(request.method === "HEAD" ? null : asset.body, {
    headers: {
      "content-type": asset.type,
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      // The assets change with each deployment: short-lived, so a new one is seen within a minute.
      "cache-control": "public, max-age=60",
    },
  });
}

/**
 * `GET /dashboard/health`: what the edge knows of its own state, never a secret. The token's times
 * come from the token set in KV (what every isolate reads), not the token; the ledger says how many
 * payments there are, how the last hour went and when the reconciler last ran.
 *
 * Requests, 5xx answers and token-broker fallbacks of the last hour come from the request counts
 * (metrics/), which every isolate hands on a few times a minute.
 */
export async function readHealth(request: Request, env: K2Env & LedgerEnv & MetricsEnv): Promise<Response> {
  const now = Date.now();
  const settings = k2Settings(env);
  let token: Record<string, number | null> | null = null;
  try {
    const set = await new KvTokenCache(settings.tokenCache).get(await k2CacheKey(settings.k2Origin, settings.clientId));
    if (set) {
      const obtainedAt =
        set.createdAt ??
        (set.expiresAt !== undefined && set.expiresIn !== undefined ? set.expiresAt - set.expiresIn * 1000 : null);
      token = {
        obtainedAt,
        expiresAt: set.expiresAt ?? null,
        renewsAt: set.expiresAt === undefined ? null : set.expiresAt - RENEWAL_LEAD_MS,
      };
    }
  } catch {
    // KV unreadable: the view says the token is unknown rather than failing whole.
  }
  const ledger = await ledgerHealth(env, now - HOUR_MS).catch(() => undefined);
  const requests = await lastHourCounts(env).catch(() => undefined);
  return jsonResponse(200, {
    now,
    token,
    ledger: ledger ?? null,
    requests: requests
      ? {
          measured: true,
          requests: requests.requests,
          errors: requests.errors,
          lateBySeconds: FLUSH_EVERY_MS / 1000,
        }
      : { measured: false, why: "METRICS is not bound, or could not be read" },
    brokerFallbacks: requests
      ? { measured: true, lastHour: requests.fallbacks, lateBySeconds: FLUSH_EVERY_MS / 1000 }
      : { measured: false, why: "METRICS is not bound, or could not be read" },
  });
}
