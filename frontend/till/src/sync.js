// Keeping the till's copy of the price list current, and sending the offline queue in order.
import { api } from "./api.ts";
import { db } from "./db.js";

/** Fetch the price list changes since the last sync (the whole list the first time). */
export async function syncPrices() {
  const since = await db.get("meta", "prices.version");
  const answer = await api.priceList(since || undefined);
  if (answer.full) await db.clear("products");
  await db.putMany("products", answer.items);
  await db.clear("categories");
  await db.putMany("categories", answer.categories);
  await db.put("meta", answer.version, "prices.version");
  return answer;
}

/** Keep the shop's active tenders (cash, card, points, then its own) for the pay screen, offline too. */
export async function syncTenders() {
  const tenders = await api.tenders();
  await db.put("meta", tenders, "tenders");
  return tenders;
}

const CUSTOMER_PAGE = 200;

/** Keep the till's copy of the customers current: what changed since the last sync (everyone the
 * first time), so a customer can be attached offline. Removed and forgotten customers leave the
 * device (a forgotten one's details must not stay on a till). Pages go by the last change time
 * seen (at or after it: a row seen twice is harmless), not by page number, so a customer changed
 * while the till pages through is not skipped. */
export async function syncCustomers() {
  let since = await db.get("meta", "customers.since");
  for (;;) {
    const page = await api.customersChanged(since || undefined, CUSTOMER_PAGE);
    for (const customer of page.results) {
      if (customer.status === "active") await db.put("customers", customer);
      else await db.delete("customers", customer.id);
    }
    const last = page.results.at(-1)?.updated_at;
    if (!last || last === since) break; // nothing newer (or a page of one instant: taken next time)
    since = last;
    await db.put("meta", since, "customers.since");
    if (page.results.length < CUSTOMER_PAGE) break;
  }
}

export function newKey() {
  return crypto.randomUUID();
}

/** Queue a sale made offline: its own Idempotency-Key, the till's time as placed_at. */
export async function enqueue(body, estimate, names, paid) {
  const item = { key: `till-${newKey()}`, body: { ...body, placed_at: new Date().toISOString() }, estimate, names,
                 paid, state: "waiting", problem: null };
  item.seq = await db.put("queue", item);
  return item;
}

let sending = null;

/** Send the waiting sales, oldest first. A network failure stops the pass (tried again later);
 * a refusal keeps the sale, marked "refused" with the server's reason, for a person to resolve.
 * A retry of a sale the server already has answers its first answer (same key): never two orders. */
export function sendQueue(onSent) {
  sending ||= (async () => {
    try {
      const items = (await db.all("queue")).filter((i) => i.state === "waiting").sort((a, b) => a.seq - b.seq);
      for (const item of items) {
        try {
          const order = await api.place(item.body, item.key);
          await db.put("receipts", { ...order, payments: item.paid, sent_from_queue: true,
                                      placed_at: item.body.placed_at });
          await db.delete("queue", item.seq);
          onSent?.(order, item);
        } catch (error) {
          if (error.offline || error.status >= 500 || error.status === 401 || error.status === 429) break;
          await db.put("queue", { ...item, state: "refused", problem: error.problem });
        }
      }
    } finally {
      sending = null;
    }
  })();
  return sending;
}
