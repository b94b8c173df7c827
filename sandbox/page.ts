/**
 * The sandbox's own page at `/`: payments in flight with buttons to end them now (as success, or as
 * any failure of the test-number table), a trigger for each webhook topic, and the log of every
 * result and webhook sent with each attempt's answer. Everything it does goes through the
 * `/__sandbox/` controls (control.ts), so the page can do nothing a script could not.
 *
 * Served under a strict CSP like the Worker's dashboard: no inline script or style, calls to the
 * sandbox alone. No key: the sandbox is a local tool whose credentials work nowhere else.
 */
import type { Answer } from "./http.ts";

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; " +
  "form-action 'none'; frame-ancestors 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>K2 sandbox</title>
<link rel="stylesheet" href="/__sandbox/ui.css">
<script type="module" src="/__sandbox/ui.js"></script>
</head>
<body>
<header><h1>K2 sandbox</h1><p>The local K2: end payments now, send webhooks, and see what was sent where.</p></header>
<main>
  <p id="notice" role="status"></p>
  <section aria-labelledby="payments-title">
    <h2 id="payments-title">Payments in flight</h2>
    <div class="bar">
      <input type="checkbox" id="hold"><label for="hold">Hold new payments until settled here</label>
    </div>
    <div class="scroll" role="region" aria-labelledby="payments-title" tabindex="0">
      <table>
        <thead><tr><th scope="col">Id</th><th scope="col">Type</th><th scope="col">Amount</th><th scope="col">Phone</th><th scope="col">Settle</th></tr></thead>
        <tbody id="payments"></tbody>
      </table>
    </div>
    <p id="payments-empty">None: every payment has ended.</p>
  </section>
  <section aria-labelledby="webhooks-title">
    <h2 id="webhooks-title">Webhooks</h2>
    <label for="url">Send to URL</label>
    <input id="url" type="url" placeholder="http://127.0.0.1:8787/k2/callbacks" autocomplete="off">
    <p class="hint" id="url-hint">Empty: to the topic's subscriptions.</p>
    <div id="topics" class="buttons"></div>
  </section>
  <section aria-labelledby="deliveries-title">
    <h2 id="deliveries-title">Deliveries</h2>
    <div class="scroll" role="region" aria-labelledby="deliveries-title" tabindex="0">
      <table>
        <thead><tr><th scope="col">Kind</th><th scope="col">Topic</th><th scope="col">To</th><th scope="col">State</th><th scope="col">Answers</th></tr></thead>
        <tbody id="deliveries"></tbody>
      </table>
    </div>
  </section>
</main>
</body>
</html>
`;

const CSS = `:root { color-scheme: light dark; font: 16px/1.45 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 72rem; padding: 0 1rem 2rem; }
h1 { font-size: 1.4rem; margin-bottom: 0; } h2 { font-size: 1.15rem; margin-top: 1.5rem; }
input, select, button { font: inherit; padding: .3rem .55rem; }
button { cursor: pointer; }
:focus-visible { outline: 3px solid #1f6feb; outline-offset: 2px; }
label { font-weight: 600; margin: 0 .4rem; }
#url { width: 100%; max-width: 32rem; box-sizing: border-box; display: block; margin: .3rem 0; }
.hint { color: #6b6b6b; margin: 0 0 .6rem; font-size: .9rem; }
.buttons { display: flex; flex-wrap: wrap; gap: .4rem; }
.bar { margin-bottom: .5rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .95rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #8884; vertical-align: top; }
td.id { font-family: ui-monospace, monospace; font-size: .85rem; word-break: break-all; }
td.settle { display: flex; flex-wrap: wrap; gap: .3rem; align-items: center; }
.delivered { color: #1a7f37; font-weight: 700; } .failed { color: #c62828; font-weight: 700; } .pending { color: #9a6700; font-weight: 700; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
`;

// Plain JavaScript for the browser; no template literals inside, so this string needs no escaping.
const JS = `const $ = (id) => document.getElementById(id);
let outcomes = {};

async function control(name, body) {
  const response = await fetch("/__sandbox/" + name, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error || "the sandbox answered " + response.status);
  return answer;
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function button(text, label, onClick) {
  const node = element("button", text);
  node.type = "button";
  node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

async function settle(id, phone, words) {
  try {
    await control("settle", phone ? { id: id, phone: phone } : { id: id });
    $("notice").textContent = "Payment " + id + " settled as " + words + ".";
  } catch (error) {
    $("notice").textContent = "Not settled: " + error.message;
  }
  await refresh();
}

function renderPayments(payments) {
  const failures = Object.entries(outcomes).filter(([, outcome]) => outcome.status === "Failed");
  const rows = payments.map((payment) => {
    const row = element("tr");
    row.dataset.id = payment.id;
    const actions = element("td", null, "settle");
    actions.append(button("Settle as success", "Settle payment " + payment.id + " as success", () => void settle(payment.id, "254700000000", "success")));
    const select = element("select");
    select.id = "outcome-" + payment.id;
    const label = element("label", "Failure", "visually-hidden");
    label.htmlFor = select.id;
    for (const [phone, outcome] of failures) {
      const option = element("option", outcome.outcome.replaceAll("_", " ") + (outcome.callback === false ? " (no callback)" : "") + " — " + phone);
      option.value = phone;
      select.append(option);
    }
    actions.append(label, select, button("Settle as failure", "Settle payment " + payment.id + " as the failure chosen", () => {
      void settle(payment.id, select.value, outcomes[select.value].outcome.replaceAll("_", " "));
    }));
    row.append(element("td", payment.id, "id"), element("td", payment.type), element("td", payment.amount || "—"), element("td", payment.phone || "—"), actions);
    return row;
  });
  // A rebuilt table would take the keyboard away: rebuilt only when its payments changed.
  const ids = payments.map((payment) => payment.id).join(",");
  if ($("payments").dataset.ids !== ids) {
    $("payments").replaceChildren(...rows);
    $("payments").dataset.ids = ids;
  }
  $("payments-empty").hidden = rows.length > 0;
}

function answers(delivery) {
  if (delivery.attempts.length === 0) return "none yet";
  return delivery.attempts.map((attempt) => (attempt.status === undefined ? attempt.error : String(attempt.status))).join(", ");
}

function renderDeliveries(deliveries) {
  $("deliveries").replaceChildren(
    ...deliveries.slice().reverse().slice(0, 100).map((delivery) => {
      const row = element("tr");
      row.dataset.id = delivery.id;
      row.append(element("td", delivery.kind), element("td", delivery.topic), element("td", delivery.url, "id"), element("td", delivery.state, delivery.state), element("td", answers(delivery)));
      return row;
    }),
  );
}

async function refresh() {
  try {
    const [payments, deliveries] = await Promise.all([control("payments"), control("deliveries")]);
    renderPayments(payments);
    renderDeliveries(deliveries);
  } catch (error) {
    $("notice").textContent = "Could not read the sandbox: " + error.message;
  }
}

async function start() {
  outcomes = await control("outcomes");
  const topics = await control("topics");
  $("topics").replaceChildren(
    ...topics.map((topic) =>
      button("Send " + topic.replaceAll("_", " "), "Send a " + topic + " webhook", async () => {
        const url = $("url").value.trim();
        try {
          const sent = await control("trigger", url ? { topic: topic, url: url } : { topic: topic });
          $("notice").textContent = "Sent " + topic + " to " + sent.deliveries.length + " receiver(s).";
        } catch (error) {
          $("notice").textContent = "Not sent: " + error.message;
        }
        await refresh();
      }),
    ),
  );
  $("hold").addEventListener("change", async () => {
    await control("options", { holdPayments: $("hold").checked });
    $("notice").textContent = $("hold").checked ? "New payments stay pending until settled here." : "New payments end by themselves again.";
  });
  await refresh();
  setInterval(refresh, 2000);
}

void start();
`;

const PAGES: Readonly<Record<string, { body: string; type: string }>> = {
  "/": { body: HTML, type: "text/html; charset=utf-8" },
  "/__sandbox/ui.js": { body: JS, type: "text/javascript; charset=utf-8" },
  "/__sandbox/ui.css": { body: CSS, type: "text/css; charset=utf-8" },
};

/** The page, its script or its stylesheet at `pathname`, or `undefined` for any other path. */
export function sandboxPage(pathname: string): Answer | undefined {
  const page = PAGES[pathname];
  if (!page) return undefined;
  return {
    status: 200,
    headers: {
      "content-type": page.type,
      "content-security-policy": CSP,
      "x-content-type-options": "nosniff",
      "cache-control": "no-store",
    },
    body: page.body,
  };
}
