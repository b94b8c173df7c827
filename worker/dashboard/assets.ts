/**
 * The dashboard's page, script and stylesheet, as text the Worker serves (handler.ts). Plain
 * browser code, no framework and no build step: a few KiB in the Worker's bundle. The script
 * writes every value with `textContent`, never as HTML, so an event's payload or a payment's id
 * cannot become markup; and the page holds no inline script or style, as its CSP demands.
 */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>K2 edge dashboard</title>
<link rel="stylesheet" href="/dashboard/app.css">
<script type="module" src="/dashboard/app.js"></script>
</head>
<body>
<header>
  <h1>K2 edge</h1>
  <button type="button" id="forget" hidden>Forget key</button>
</header>
<main>
  <form id="key-form" aria-labelledby="key-title">
    <h2 id="key-title">Open the dashboard</h2>
    <p>Enter a proxy key that may read payments and events (<code>payments:read</code> and <code>events:read</code>).
      It is kept in this tab only, until you close it.</p>
    <label for="key">Proxy key</label>
    <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required>
    <button type="submit">Open</button>
    <p id="key-message" role="alert"></p>
  </form>
  <div id="board" hidden>
    <p id="notice" role="status"></p>
    <section aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      <dl id="health"></dl>
    </section>
    <section aria-labelledby="payments-title">
      <h2 id="payments-title">Payments</h2>
      <div class="bar">
        <label for="state">State</label>
        <select id="state">
          <option value="">All</option>
          <option value="pending">Pending</option>
          <option value="success">Success</option>
          <option value="failed">Failed</option>
          <option value="unknown">Unknown</option>
        </select>
        <span id="updated" aria-live="off"></span>
      </div>
      <div class="scroll" role="region" aria-labelledby="payments-title" tabindex="0">
        <table>
          <thead><tr><th scope="col">K2 id</th><th scope="col">Type</th><th scope="col">Amount</th><th scope="col">State</th><th scope="col">Settled by</th><th scope="col">Age</th></tr></thead>
          <tbody id="payments"></tbody>
        </table>
      </div>
      <p id="payments-empty" hidden>No payments yet.</p>
    </section>
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <div class="bar"><span id="events-scope">Latest events</span> <button type="button" id="all-events" hidden>Show latest events</button></div>
      <div class="scroll" role="region" aria-labelledby="events-title" tabindex="0">
        <table>
          <thead><tr><th scope="col">Received</th><th scope="col">Kind</th><th scope="col">Topic or type</th><th scope="col">Delivery</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead>
          <tbody id="events"></tbody>
        </table>
      </div>
      <p id="events-empty" hidden>No events.</p>
    </section>
  </div>
</main>
</body>
</html>
`;

export const APP_CSS = `:root { color-scheme: light dark; --ok: #1a7f37; --bad: #c62828; --wait: #9a6700; --muted: #6b6b6b; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; overflow-wrap: anywhere; }
header { display: flex; align-items: center; justify-content: space-between; gap: 1rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 1.5rem; }
label { font-weight: 600; margin-right: .4rem; }
input, select, button { font: inherit; padding: .35rem .6rem; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
#key-form { max-width: 32rem; } #key-form input { width: 100%; box-sizing: border-box; margin: .3rem 0 .6rem; }
#key-message { color: var(--bad); font-weight: 600; }
.bar { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; margin-bottom: .5rem; }
#updated { color: var(--muted); font-size: .9rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
td.id button { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; text-align: left; background: none; border: 0; padding: 0; color: #1f6feb; text-decoration: underline; }
tr.selected { background: #1f6feb1a; }
.state { font-weight: 700; }
.state.success, .delivered { color: var(--ok); } .state.failed, .state.unknown, .dead { color: var(--bad); } .state.pending, .retrying { color: var(--wait); }
.state::before { content: "● "; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; } dt { font-weight: 600; } dd { margin: 0; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 40rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: .4rem; } th, td { padding: .35rem .3rem; } }
`;

// Plain JavaScript for the browser; no template literals inside, so this string needs no escaping.
export const APP_JS = `const STORE = "k2-edge-dashboard-key";
const POLL_MS = 4000;
const STATES = { pending: "Pending", success: "Success", failed: "Failed", unknown: "Unknown" };
const $ = (id) => document.getElementById(id);

let key = sessionStorage.getItem(STORE);
let timer;
let selected = null;
let cursor = "0";
let latest = [];

class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function call(path, method) {
  const response = await fetch(path, {
    method: method || "GET",
    headers: { authorization: "Bearer " + key, accept: "application/json" },
    cache: "no-store",
    credentials: "omit",
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Refused(response.status, body.message || "The Worker answered " + response.status);
  return body;
}

const keyRefused = (error) => error instanceof Refused && (error.status === 401 || error.status === 403);

function refusalText(error) {
  if (error.status === 401) return "This key is not known, or it has expired. Check it and enter it again.";
  if (error.status === 403) return "This key may not read payments and events: the dashboard needs payments:read and events:read.";
  return "The dashboard could not be opened: " + error.message;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function ago(at) {
  const seconds = Math.max(0, Math.round((Date.now() - at) / 1000));
  if (seconds < 60) return seconds + " s ago";
  if (seconds < 3600) return Math.round(seconds / 60) + " min ago";
  if (seconds < 86400) return Math.round(seconds / 3600) + " h ago";
  return Math.round(seconds / 86400) + " d ago";
}

const clock = (at) => new Date(at).toLocaleTimeString();

function show(open) {
  $("board").hidden = !open;
  $("forget").hidden = !open;
  $("key-form").hidden = open;
}

function signOut(message) {
  clearTimeout(timer);
  key = null;
  sessionStorage.removeItem(STORE);
  selected = null;
  cursor = "0";
  latest = [];
  for (const id of ["health", "payments", "events"]) $(id).replaceChildren();
  show(false);
  $("key").value = "";
  $("key-message").textContent = message || "";
  $("key").focus();
}

async function open(candidate) {
  key = candidate;
  $("key-message").textContent = "";
  try {
    // Nothing is shown before the key has been checked: this call is the check.
    const health = await call("/dashboard/health");
    sessionStorage.setItem(STORE, key);
    show(true);
    renderHealth(health);
    await refresh();
  } catch (error) {
    signOut(error instanceof Refused ? refusalText(error) : "The Worker could not be reached: " + error.message);
  }
}

function renderHealth(health) {
  const rows = [];
  const token = health.token;
  if (!token) rows.push(["K2 token", "None cached yet (the first request through the proxy gets one)"]);
  else
    rows.push([
      "K2 token",
      (token.obtainedAt ? "obtained " + ago(token.obtainedAt) : "age not known") +
        (token.renewsAt ? "; renewed from " + clock(token.renewsAt) + " (expires " + clock(token.expiresAt) + ")" : ""),
    ]);
  const ledger = health.ledger;
  if (!ledger) rows.push(["Ledger", "Not bound (LEDGER)"]);
  else {
    const counts = ledger.counts;
    rows.push(["Payments", counts.pending + " pending, " + counts.success + " success, " + counts.failed + " failed, " + counts.unknown + " unknown"]);
    rows.push(["Last hour", ledger.since.created + " payments created, " + ledger.since.failed + " of them failed"]);
    const run = ledger.lastReconcile;
    rows.push([
      "Reconciler",
      run ? "last ran " + ago(run.at) + ": read " + run.report.read + ", settled " + run.report.settled + ", still pending " + run.report.stillPending + ", unreadable " + run.report.unreadable + ", gave up " + run.report.gaveUp : "has not run yet",
    ]);
  }
  const requests = health.requests;
  rows.push([
    "Requests, last hour",
    requests.measured
      ? requests.requests + " answered, " + requests.errors + " with a 5xx (counts up to " + requests.lateBySeconds + " s late)"
      : "Not measured: " + requests.why,
  ]);
  const fallbacks = health.brokerFallbacks;
  rows.push([
    "Broker fallbacks, last hour",
    fallbacks.measured
      ? fallbacks.lastHour + (fallbacks.lastHour === 0 ? " (every new token came from the broker)" : " (isolates asked K2 themselves: the broker failed)")
      : "Not measured: " + fallbacks.why,
  ]);
  $("health").replaceChildren(...rows.flatMap(([term, text]) => [element("dt", term), element("dd", text)]));
}

function amountOf(payment) {
  const amount = payment.amount || {};
  return amount.value === null || amount.value === undefined ? "—" : (amount.currency || "") + " " + amount.value;
}

function renderPayments(payments) {
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.payment : undefined;
  const rows = payments.map((payment) => {
    const row = element("tr");
    row.dataset.id = payment.id;
    if (payment.id === selected) row.className = "selected";
    const idCell = element("td", null, "id");
    const button = element("button", payment.id);
    button.type = "button";
    button.dataset.payment = payment.id;
    button.setAttribute("aria-label", "Show the events of payment " + payment.id);
    button.addEventListener("click", () => {
      selected = payment.id;
      void refresh();
    });
    idCell.append(button);
    row.append(
      idCell,
      element("td", payment.type),
      element("td", amountOf(payment)),
      element("td", STATES[payment.state] || payment.state, "state " + payment.state),
      element("td", payment.settled_by === "callback" ? "K2's callback" : payment.settled_by === "status" ? "Status read" : "—"),
      element("td", ago(Date.parse(payment.created_at))),
    );
    return row;
  });
  $("payments").replaceChildren(...rows);
  $("payments-empty").hidden = rows.length > 0;
  // A rebuilt table keeps the keyboard where it was.
  if (focused) for (const button of $("payments").querySelectorAll("button")) if (button.dataset.payment === focused) button.focus();
}

function deliveryOf(event) {
  const delivery = event.delivery;
  const answer = delivery.lastStatus === null ? "no answer" : "answer " + delivery.lastStatus;
  if (delivery.state === "none") return ["Kept (forwarding is off)", ""];
  if (delivery.state === "delivered") return ["Delivered", "delivered"];
  if (delivery.state === "dead") return ["Dead after " + delivery.attempts + " attempts (" + answer + ")", "dead"];
  if (delivery.attempts === 0) return ["Queued", "retrying"];
  const next = delivery.nextAttemptAt ? "next at " + clock(Date.parse(delivery.nextAttemptAt)) : "next when the queue retries";
  return ["Retrying: " + delivery.attempts + " attempts, last at " + clock(Date.parse(delivery.lastAttemptAt)) + " (" + answer + "); " + next, "retrying"];
}

function renderEvents(events) {
  const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.replay : undefined;
  const rows = events.map((event) => {
    const row = element("tr");
    row.dataset.id = event.id;
    const [words, className] = deliveryOf(event);
    const action = element("td");
    if (event.delivery.state === "dead") {
      const button = element("button", "Replay");
      button.type = "button";
      button.dataset.replay = event.id;
      button.setAttribute("aria-label", "Replay event " + event.id);
      button.addEventListener("click", () => void replay(event.id, button));
      action.append(button);
    }
    row.append(
      element("td", clock(Date.parse(event.receivedAt))),
      element("td", event.kind),
      element("td", event.topic || event.type || "—"),
      element("td", words, "delivery " + className),
      action,
    );
    return row;
  });
  $("events").replaceChildren(...rows);
  $("events-empty").hidden = rows.length > 0;
  if (focused) for (const button of $("events").querySelectorAll("button")) if (button.dataset.replay === focused) button.focus();
}

async function eventsOfSelected() {
  const payment = await call("/payments/" + encodeURIComponent(selected));
  const events = await Promise.all(payment.events.map((id) => call("/k2/events/" + id).catch(() => null)));
  return events.filter(Boolean);
}

async function latestEvents() {
  // The cursor walks forward once; only events still being delivered are read again.
  for (let pages = 0; pages < 20; pages++) {
    const page = await call("/k2/events?limit=500&after=" + cursor);
    if (!page.next) break;
    cursor = page.next;
    latest = page.events.slice().reverse().concat(latest).slice(0, 50);
  }
  latest = await Promise.all(latest.map((event) => (event.delivery.state === "pending" ? call("/k2/events/" + event.id).catch(() => event) : event)));
  return latest;
}

async function refresh() {
  clearTimeout(timer);
  if (!key) return;
  try {
    const state = $("state").value;
    const [health, page] = await Promise.all([call("/dashboard/health"), call("/payments?limit=50" + (state ? "&state=" + state : ""))]);
    renderHealth(health);
    renderPayments(page.payments);
    $("events-scope").textContent = selected ? "Events of payment " + selected : "Latest events";
    $("all-events").hidden = !selected;
    renderEvents(selected ? await eventsOfSelected() : await latestEvents());
    $("updated").textContent = "Updated " + clock(Date.now());
  } catch (error) {
    if (keyRefused(error)) return signOut("Your key stopped working (" + refusalText(error) + ")");
    $("updated").textContent = "Could not refresh (" + error.message + "); trying again";
  }
  if (key) timer = setTimeout(refresh, document.hidden ? POLL_MS * 5 : POLL_MS);
}

async function replay(id, button) {
  button.disabled = true;
  try {
    await call("/k2/events/" + id + "/replay", "POST");
    $("notice").textContent = "Event " + id + " is queued for delivery again.";
    latest = latest.map((event) => (event.id === id ? { ...event, delivery: { ...event.delivery, state: "pending" } } : event));
  } catch (error) {
    if (error instanceof Refused && error.status === 401) return signOut(refusalText(error));
    $("notice").textContent = error instanceof Refused && error.status === 403 ? "This key may not replay events: that needs events:write." : "Not replayed: " + error.message;
    button.disabled = false;
  }
  await refresh();
}

$("key-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  void open($("key").value.trim());
});
$("forget").addEventListener("click", () => signOut("The key is forgotten."));
$("state").addEventListener("change", () => void refresh());
$("all-events").addEventListener("click", () => {
  selected = null;
  void refresh();
  $("state").focus();
});
if (key) void open(key);
else $("key").focus();
`;
