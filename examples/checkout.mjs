// @ts-check
/**
 * The checkout page's script (examples/checkout.html): an STK push from the browser through the
 * proxy Worker, with the page's scoped key, then the payment's status until it ends. No library:
 * the requests are K2's own JSON, and the Worker answers this page's origin with CORS.
 */

/** @param {string} name */
const meta = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute("content") ?? "";
const proxy = meta("k2-proxy");
const headers = { authorization: `Bearer ${meta("k2-checkout-key")}`, "content-type": "application/json" };

const form = /** @type {HTMLFormElement} */ (document.getElementById("checkout"));
const result = /** @type {HTMLElement} */ (document.getElementById("result"));
const refusal = /** @type {HTMLElement} */ (document.getElementById("refusal"));

/**
 * Shows a line; `data-status` holds the HTTP status and `data-outcome` how the payment ended.
 * @param {HTMLElement} where
 * @param {string} text
 * @param {{ status?: number; outcome?: string }} [data]
 */
function show(where, text, data = {}) {
  where.textContent = text;
  if (data.status !== undefined) where.dataset.status = String(data.status);
  if (data.outcome !== undefined) where.dataset.outcome = data.outcome;
}

/** @param {Response} response */
async function refusalText(response) {
  const body = await response.json().catch(() => ({}));
  return `${response.status} ${body.error ?? ""}${body.rule ? ` (rule: ${body.rule})` : ""}: ${body.message ?? ""}`;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  pay(new FormData(form)).catch((error) => show(result, `Not sent, or no answer: ${error}`, { status: 0 }));
});

/** @param {FormData} fields */
async function pay(fields) {
  delete result.dataset.outcome;
  show(result, "Sending…");
  const response = await fetch(`${proxy}/api/v2/incoming_payments`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      payment_channel: "M-PESA STK Push",
      till_number: "K000000",
      subscriber: { first_name: "Jane", last_name: "Doe", phone_number: String(fields.get("phone")) },
      amount: { currency: "KES", value: String(fields.get("amount")) },
      metadata: { page: "checkout" },
      // The result goes to the Worker's inbox: the only callback host the key's policy allows.
      _links: { callback_url: `${proxy}/k2/callbacks` },
    }),
  });
  const location = response.headers.get("location");
  if (response.status !== 201 || !location) {
    show(result, await refusalText(response), { status: response.status });
    return;
  }
  show(result, "201 Created: the customer's phone asks for the M-PESA PIN…", { status: 201 });
  // The key may read what it created: ask until K2 says how the payment ended.
  for (let attempt = 0; attempt < 60; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const status = await fetch(location, { headers });
    if (!status.ok) {
      show(result, await refusalText(status), { status: status.status });
      return;
    }
    const { attributes } = (await status.json()).data;
    if (attributes.status !== "Pending") {
      const why = attributes.event?.errors ? `: ${attributes.event.errors}` : "";
      show(result, `Payment ${attributes.status}${why}`, { outcome: attributes.status });
      return;
    }
  }
  show(result, "Still pending after a minute: the callback will tell", { outcome: "Pending" });
}

// A send money with the same key: refused by the Worker (403), and nothing reaches K2.
document.getElementById("send-money")?.addEventListener("click", () => {
  sendMoney().catch((error) => show(refusal, `No answer: ${error}`, { status: 0 }));
});

async function sendMoney() {
  const response = await fetch(`${proxy}/api/v2/send_money`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      currency: "KES",
      destinations: [{ type: "mobile_wallet", phone_number: "+254712345678", network: "Safaricom", amount: "20" }],
      _links: { callback_url: `${proxy}/k2/callbacks` },
    }),
  });
  show(refusal, await refusalText(response), { status: response.status });
}
