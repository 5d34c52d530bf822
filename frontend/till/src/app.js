// The till's screens (Preact + htm). State lives in App; every total shown as final is the
// server's answer to the write that produced it (never a read model painted over it).
import { h, Component, render } from "preact";
import htm from "htm";

import { api, ApiError, saveTokens, savedTokens } from "./api.ts";
import { db } from "./db.js";
import { cents, estimate, fmt } from "./money.js";
import { listenForScans } from "./scanner.js";
import { enqueue, newKey, sendQueue, syncCustomers, syncPrices, syncTenders } from "./sync.js";

const html = htm.bind(h);
const DEVICE = "pos.till.device"; // {id, name, store}: which till this device is (set once by a manager)
const SESSION = "pos.till.session"; // {id, cashier}: the open session, for a reload without network
const CART = "pos.till.cart"; // the sale in progress, so a reload (or a crash) does not lose it
const COUNTED_BY_HAND = ["cash", "card", "points"]; // the close form asks for cash and card; points are not in a drawer

const emptyCart = () => ({ id: newKey(), lines: [], customer: null, order: null, key: `sale-${newKey()}` });
const load = (name) => JSON.parse(localStorage.getItem(name) || "null");
const keep = (name, value) => (value ? localStorage.setItem(name, JSON.stringify(value)) : localStorage.removeItem(name));

function problemText(error) {
  if (!(error instanceof ApiError)) return String(error);
  const fields = (error.problem.errors || []).map((e) => `${e.field}: ${e.message}`).join("; ");
  return [error.problem.detail || error.problem.title || error.message, fields].filter(Boolean).join(" — ");
}

export class App extends Component {
  state = {
    screen: load(DEVICE) ? "signin" : "setup", device: load(DEVICE), session: load(SESSION), user: null,
    online: navigator.onLine, products: [], categories: [], category: null, search: "", cart: load(CART) || emptyCart(),
    parked: [], queue: [], message: null, error: null, order: null, receipt: null, receipts: [],
    customers: [], tills: [], zreport: null, refundOrder: null, approvalFor: null, tenders: [], askReference: null,
  };

  async componentDidMount() {
    this.stopScans = listenForScans((code) => this.scanned(code));
    window.addEventListener("online", () => this.goneOnline());
    window.addEventListener("offline", () => this.setState({ online: false }));
    await this.loadLocal();
    if (this.state.device && savedTokens()) {
      try {
        const me = await api.me();
        await this.signedIn(me.username);
      } catch (error) {
        if (error.offline && this.state.session) this.setState({ screen: "sell", online: false, user: this.state.session.cashier });
      }
    }
  }

  componentWillUnmount() { this.stopScans?.(); }

  componentDidUpdate(_, previous) {
    if (previous.cart !== this.state.cart) keep(CART, this.state.cart.lines.length ? this.state.cart : null);
  }

  async loadLocal() {
    const [products, categories, parked, queue, receipts] = await Promise.all(
      ["products", "categories", "parked", "queue", "receipts"].map((s) => db.all(s)));
    const tenders = (await db.get("meta", "tenders")) || [];
    products.sort((a, b) => a.name.localeCompare(b.name));
    this.setState({ products: products.filter((p) => p.active), categories: categories.filter((c) => c.active), tenders,
                    parked, queue: queue.sort((a, b) => a.seq - b.seq),
                    receipts: receipts.sort((a, b) => (b.placed_at || "").localeCompare(a.placed_at || "")) });
  }

  async goneOnline() {
    this.setState({ online: true });
    await this.flush();
  }

  async flush() {
    await sendQueue();
    try { await Promise.all([syncPrices(), syncTenders(), syncCustomers()]); } catch { /* offline again: the cached lists stay */ }
    await this.loadLocal();
  }

  /** What one loyalty point pays, in cents (the tenders list's points entry; 0.01 until synced). */
  pointCents() {
    const points = this.state.tenders.find((t) => t.code === "points");
    return points?.point_value ? cents(points.point_value) : 1;
  }

  /** The shop's own active tenders (not cash, card or points), as last synced. */
  shopTenders() { return this.state.tenders.filter((t) => !t.built_in && t.active); }

  tenderName(code) {
    const own = this.shopTenders().find((t) => t.code === code);
    return own ? own.name : code.charAt(0).toUpperCase() + code.slice(1); // as the server's receipt names them
  }

  /** A payment as the receipt shows it: the tender's name and its reference. */
  paidLine(p) { return { method: this.tenderName(p.method) + (p.reference ? ` ${p.reference}` : ""), amount: p.amount }; }

  /** Remember the shop's tenders this session took, so the close form asks for their counts. */
  noteTender(code) {
    const session = this.state.session;
    if (!session || COUNTED_BY_HAND.includes(code) || (session.used || []).includes(code)) return;
    const next = { ...session, used: [...(session.used || []), code] };
    keep(SESSION, next);
    this.setState({ session: next });
  }

  /** The attached customer's points as the server has them now (a sale's points change them). */
  async refreshCustomer() {
    const customer = this.state.cart.customer;
    if (!customer || !this.state.online) return;
    try {
      const fresh = await api.customer(customer.id);
      this.setState((s) => (s.cart.customer?.id === fresh.id ? { cart: { ...s.cart, customer: fresh } } : null));
    } catch { /* the balance shown stays as last seen; the server checks it anyway */ }
  }

  say(message) { this.setState({ message, error: null }); }
  fail(error) {
    if (error instanceof ApiError && error.offline) this.setState({ online: false });
    this.setState({ error: problemText(error), message: null });
  }

  // --- device, sign-in, session ------------------------------------------------------------
  async setupLogin(event) {
    event.preventDefault();
    const f = event.target.elements;
    try {
      await api.login(f.username.value, f.password.value);
      const tills = await api.tills();
      this.setState({ tills: tills.results, error: null });
    } catch (error) { this.fail(error); }
  }

  chooseTill(till) {
    const device = { id: till.till_id, name: till.name, store: till.store_code };
    keep(DEVICE, device);
    saveTokens(null); // the manager's tokens are not the cashier's
    this.setState({ device, screen: "signin", tills: [], message: `This device is now ${till.name}.` });
  }

  async signIn(event) {
    event.preventDefault();
    const f = event.target.elements;
    try {
      await api.login(f.username.value, f.password.value, this.state.device.id);
      await this.signedIn(f.username.value);
    } catch (error) { this.fail(error); }
  }

  async signedIn(username) {
    const till = await api.till(this.state.device.id);
    const session = till.open_session_id ? { id: till.open_session_id, cashier: username } : null;
    keep(SESSION, session);
    this.setState({ user: username, session, screen: session ? "sell" : "open", error: null });
    await this.flush();
  }

  signOut() {
    saveTokens(null);
    this.setState({ user: null, screen: "signin" });
  }

  async openSession(event) {
    event.preventDefault();
    try {
      const answer = await api.open(this.state.device.id, { opening_float: event.target.elements.float.value });
      const session = { id: answer.id, cashier: answer.cashier };
      keep(SESSION, session);
      this.setState({ session, screen: "sell" });
      this.say(`Session open with a float of ${answer.opening_float}.`);
    } catch (error) { this.fail(error); }
  }

  // --- selling ------------------------------------------------------------------------------
  scanned(code) {
    if (this.state.screen !== "sell") return;
    const item = this.state.products.find((p) => p.barcode === code || p.sku === code);
    if (item) this.add(item);
    else this.setState({ error: `Unknown code ${code}: not in the price list.`, message: null });
  }

  add(item) {
    const cart = this.state.cart;
    if (cart.order) return this.setState({ error: "This sale is at payment: finish or void it first." });
    const line = cart.lines.find((l) => l.item.product_id === item.product_id && !l.discount);
    const lines = line ? cart.lines.map((l) => (l === line ? { ...l, quantity: l.quantity + 1 } : l))
      : [...cart.lines, { item, quantity: 1, discount: "" }];
    this.setState({ cart: { ...cart, lines }, error: null, message: `${item.name} added.` });
  }

  changeLine(index, changes) {
    const cart = this.state.cart;
    const lines = cart.lines.map((l, i) => (i === index ? { ...l, ...changes } : l)).filter((l) => l.quantity > 0);
    this.setState({ cart: { ...cart, lines } });
  }

  body() {
    const { cart, device } = this.state;
    const body = { till_id: device.id, lines: cart.lines.map((l) => ({
      product_id: l.item.product_id, quantity: l.quantity, ...(l.discount ? { discount_percent: l.discount } : {}) })) };
    if (cart.customer) body.customer_id = cart.customer.id;
    return body;
  }

  /** To payment: the server places the order and answers its total (online); offline, cash only. */
  async toPayment(approval) {
    const cart = this.state.cart;
    if (!cart.lines.length) return this.setState({ error: "The cart is empty." });
    if (cart.order) return this.setState({ screen: "pay" });
    try {
      const order = await api.place(this.body(), cart.key, approval);
      this.setState({ cart: { ...cart, order }, screen: "pay", error: null, message: null, askReference: null });
      await this.refreshCustomer();
    } catch (error) {
      if (error instanceof ApiError && error.needsManager) {
        // A new key for the approved attempt: the refused one is not the same request.
        this.setState({ cart: { ...cart, key: `sale-${newKey()}` },
                        approvalFor: (token) => this.toPayment(token), error: problemText(error) });
      } else if (error instanceof ApiError && error.offline) {
        this.setState({ online: false, screen: "pay", error: null,
                        message: "No network: this sale will be sent when the network returns (cash only)." });
      } else this.fail(error);
    }
  }

  async pay(method, amount, reference = "") {
    const { cart } = this.state;
    const payment = { method, amount, ...(reference ? { reference } : {}) };
    if (!cart.order) return this.payOffline(payment);
    try {
      const order = await api.pay(cart.order.id, { till_id: this.state.device.id, payments: [payment] },
                                  `pay-${newKey()}`);
      this.noteTender(method);
      const payments = [...(cart.payments || []), this.paidLine(payment)];
      if (order.status === "completed") return await this.finished(order, payments);
      this.setState({ cart: { ...cart, order, payments }, askReference: null, error: null,
                      message: `${this.tenderName(method)} ${amount} taken.` });
      await this.refreshCustomer();
    } catch (error) { this.fail(error); }
  }

  /** Offline a sale is paid in one go, in cash or by one of the shop's tenders (with its reference);
   * card needs the terminal and points the server's balance. */
  async payOffline(payment) {
    const { method, amount } = payment;
    const total = estimate(this.state.cart.lines);
    const own = this.shopTenders().find((t) => t.code === method);
    if (method === "points") return this.setState({ error: "Points need the network: the server holds the customer's balance." });
    if (method !== "cash" && !own) return this.setState({ error: "Card needs the terminal and the network: take cash, or wait for the network." });
    if (cents(amount) < total) return this.setState({ error: `Offline, a sale is paid in one go: at least ${fmt(total)}.` });
    if (own && !own.gives_change && cents(amount) > total) {
      return this.setState({ error: `${own.name} gives no change: at most ${fmt(total)}.` });
    }
    const body = { ...this.body(), payments: [payment] };
    const lines = this.state.cart.lines.map((l) => ({ name: l.item.name, quantity: l.quantity }));
    const payments = [this.paidLine(payment)];
    const item = await enqueue(body, fmt(total), lines.map((l) => `${l.quantity} × ${l.name}`).join(", "), payments);
    this.noteTender(method);
    await this.loadLocal();
    const change = fmt(cents(amount) - total);
    this.setState({ cart: emptyCart(), screen: "receipt", error: null, askReference: null,
                    receipt: { provisional: true, key: item.key, placed_at: item.body.placed_at, lines,
                               total: fmt(total), payments, paid: amount, change },
                    message: `Waiting to send: change ${change} (estimate).` });
  }

  async finished(order, payments) {
    const receipt = { ...order, payments, placed_at: new Date().toISOString() };
    await db.put("receipts", receipt);
    await this.loadLocal();
    this.setState({ cart: emptyCart(), screen: "receipt", receipt, error: null, message: null, askReference: null });
  }

  async voidSale(approval) {
    const { cart } = this.state;
    if (!cart.order) return this.setState({ cart: emptyCart(), screen: "sell", message: "Sale cleared." });
    try {
      const order = await api.void(cart.order.id, `void-${cart.order.id}`, approval);
      this.setState({ cart: emptyCart(), screen: "sell", message: `Sale ${order.number} voided.`, error: null });
    } catch (error) {
      if (error instanceof ApiError && error.needsManager) this.setState({ approvalFor: (t) => this.voidSale(t) });
      else this.fail(error);
    }
  }

  async park() {
    const { cart } = this.state;
    if (!cart.lines.length) return;
    if (cart.order) return this.setState({ error: "This sale is at payment: finish or void it." });
    await db.put("parked", { ...cart, parked_at: new Date().toISOString() });
    await this.loadLocal();
    this.setState({ cart: emptyCart(), message: "Sale parked." });
  }

  async resume(parked) {
    if (this.state.cart.lines.length) return this.setState({ error: "Park or finish the current sale first." });
    await db.delete("parked", parked.id);
    await this.loadLocal();
    this.setState({ cart: { ...parked }, message: "Sale resumed.", screen: "sell" });
  }

  async findCustomers(event) {
    event.preventDefault();
    const q = event.target.elements.q.value.trim();
    this.setState({ customers: [] }); // an earlier search's rows (and their points) are not this one's
    try {
      const found = (await api.customers(q)).results;
      await db.putMany("customers", found);
      this.setState({ customers: found, error: null });
    } catch (error) {
      if (!(error instanceof ApiError && error.offline)) return this.fail(error);
      const low = q.toLowerCase();
      const cached = (await db.all("customers")).filter((c) =>
        [c.name, c.phone, c.email].some((v) => (v || "").toLowerCase().includes(low)));
      this.setState({ customers: cached, online: false, message: "Offline: the customers kept on this till." });
    }
  }

  async approve(event) {
    event.preventDefault();
    const f = event.target.elements;
    const retry = this.state.approvalFor;
    try {
      const approval = await api.approval(f.username.value, f.password.value);
      this.setState({ approvalFor: null, error: null });
      await retry(approval.token);
    } catch (error) { this.fail(error); }
  }

  // --- receipts, refunds, cash, close -------------------------------------------------------
  async reprint(event) {
    event.preventDefault();
    const number = event.target.elements.number.value.trim();
    const local = this.state.receipts.find((r) => r.number === number);
    if (local) return this.setState({ receipt: local, screen: "receipt" });
    try {
      const found = await api.findOrder(number);
      if (!found) return this.setState({ error: `No receipt ${number}.` });
      const r = await api.receipt(found);
      this.setState({ receipt: { ...r, lines: r.items, from_server: true }, screen: "receipt", error: null });
    } catch (error) { this.fail(error); }
  }

  async findRefund(event) {
    event.preventDefault();
    const number = event.target.elements.number.value.trim();
    try {
      const found = await api.findOrder(number);
      if (!found) return this.setState({ error: `No sale ${number} on the server.` });
      // One refund_id per refund on screen: a retry after a lost answer (or with a manager's approval)
      // is the same refund, answered again by the server and never refunded twice.
      this.setState({ refundOrder: await api.order(found), refundId: newKey(), error: null });
    } catch (error) {
      if (error instanceof ApiError && error.offline) this.setState({ online: false, error: "Refunds need the network (the server checks what was sold and already refunded)." });
      else this.fail(error);
    }
  }

  async refund(event, approval) {
    event?.preventDefault();
    const form = document.getElementById("refund-form");
    const order = this.state.refundOrder;
    const lines = order.lines.map((l) => ({ line_no: l.line_no, quantity: Number(form.elements[`qty-${l.line_no}`].value || 0) }))
      .filter((l) => l.quantity > 0);
    if (!lines.length) return this.setState({ error: "Choose the quantities to refund." });
    try {
      const answer = await api.refund(order.order_id, { refund_id: this.state.refundId, lines, method: form.elements.method.value,
                                                  reason: form.elements.reason.value, till_id: this.state.device.id }, approval);
      this.setState({ refundOrder: null, refundId: null, error: null, message: `Refunded ${answer.refund.total} (${answer.refund.method}) on ${answer.number}.` });
    } catch (error) {
      if (error instanceof ApiError && error.needsManager) this.setState({ approvalFor: (t) => this.refund(null, t), error: problemText(error) });
      else this.fail(error);
    }
  }

  async cashMovement(event) {
    event.preventDefault();
    const f = event.target.elements;
    const amount = (f.direction.value === "out" ? "-" : "") + f.amount.value;
    try {
      const s = await api.cash(this.state.device.id, { amount, reason: f.reason.value }, `cash-${newKey()}`);
      this.say(`Cash ${f.direction.value} ${f.amount.value} recorded; cash expected in the drawer: ${s.expected_cash}.`);
      event.target.reset();
    } catch (error) { this.fail(error); }
  }

  async closeSession(event) {
    event.preventDefault();
    const f = event.target.elements;
    const counted = { cash: f.cash.value };
    if (f.card.value) counted.card = f.card.value;
    for (const input of event.target.querySelectorAll(".counted-tender")) {
      if (input.value) counted[input.dataset.code] = input.value; // one not given is taken as expected
    }
    try {
      const answer = await api.close(this.state.device.id, { counted });
      keep(SESSION, null);
      this.setState({ zreport: answer.z_report, session: null, screen: "zreport", error: null });
    } catch (error) { this.fail(error); }
  }

  async resolve(item) {
    await db.put("queue", { ...item, state: "resolved" });
    await this.loadLocal();
  }

  // --- views ------------------------------------------------------------------------------------
  render(_, s) {
    const waiting = s.queue.filter((q) => q.state === "waiting").length;
    const refused = s.queue.filter((q) => q.state === "refused");
    const go = (screen) => () => this.setState({ screen, error: null, message: null });
    const nav = s.session && s.user && html`
      <nav class="nav">
        <button onClick=${go("sell")} class=${s.screen === "sell" ? "on" : ""}>Sell</button>
        <button onClick=${go("receipts")}>Receipts</button>
        <button onClick=${go("refund")}>Refund</button>
        <button onClick=${go("cash")}>Cash in/out</button>
        <button onClick=${go("close")}>Close session</button>
        <button onClick=${() => this.signOut()}>Sign out</button>
      </nav>`;
    return html`
      <header class="top">
        <strong>${s.device ? s.device.name : "New device"}</strong>
        <span>${s.user ? `Signed in: ${s.user}` : "Not signed in"}</span>
        <span id="session-state">${s.session ? "Session open" : "No open session"}</span>
        <span id="network" class=${s.online ? "ok" : "bad"}>${s.online ? "Online" : "Offline"}</span>
        ${waiting ? html`<span id="waiting" class="bad">Waiting to send (${waiting})</span>` : null}
        ${refused.length ? html`<span id="refused-count" class="bad">Refused on sync (${refused.length})</span>` : null}
      </header>
      ${nav}
      ${s.error && html`<p class="error" role="alert" id="error">${s.error}</p>`}
      ${s.message && html`<p class="message" role="status" id="message">${s.message}</p>`}
      ${refused.length ? this.refusedView(refused) : null}
      ${s.approvalFor && this.approvalView()}
      <main>${this[`${s.screen}View`](s)}</main>`;
  }

  refusedView(refused) {
    return html`<section class="refused" id="refused">
      <h2>Sales the server refused — a person must resolve them</h2>
      ${refused.map((item) => html`<div class="refused-item" data-key=${item.key}>
        <span>${new Date(item.body.placed_at).toLocaleString()} · ${item.names} · ${item.estimate}
          · taken ${(item.paid || item.body.payments).map((p) => `${p.method} ${p.amount}`).join(", ")}</span>
        <span class="reason">${item.problem?.detail || item.problem?.title}</span>
        <button onClick=${() => this.resolve(item)}>Mark resolved</button></div>`)}
    </section>`;
  }

  approvalView() {
    return html`<form class="dialog" id="approval" onSubmit=${(e) => this.approve(e)}>
      <h2>Manager approval</h2>
      <label>Manager <input name="username" autocomplete="off" required /></label>
      <label>Password <input name="password" type="password" required /></label>
      <button type="submit">Approve</button>
      <button type="button" onClick=${() => this.setState({ approvalFor: null })}>Cancel</button>
    </form>`;
  }

  setupView(s) {
    return html`<section class="narrow">
      <h1>Set up this device</h1>
      <p>A manager signs in once and chooses which till this device is.</p>
      <form onSubmit=${(e) => this.setupLogin(e)}>
        <label>Manager <input name="username" required autofocus /></label>
        <label>Password <input name="password" type="password" required /></label>
        <button type="submit">List tills</button>
      </form>
      <div class="grid">${s.tills.map((t) => html`<button class="till-choice" onClick=${() => this.chooseTill(t)}>
        ${t.name} · ${t.store_code}</button>`)}</div>
    </section>`;
  }

  signinView(s) {
    return html`<section class="narrow">
      <h1>Sign in at ${s.device.name}</h1>
      <form onSubmit=${(e) => this.signIn(e)}>
        <label>User <input name="username" required autofocus /></label>
        <label>Password <input name="password" type="password" required /></label>
        <button type="submit">Sign in</button>
      </form>
      <button class="small" onClick=${() => { keep(DEVICE, null); this.setState({ device: null, screen: "setup" }); }}>
        Set up this device as another till</button>
    </section>`;
  }

  openView() {
    return html`<section class="narrow">
      <h1>Open the session</h1>
      <form onSubmit=${(e) => this.openSession(e)}>
        <label>Counted float (notes and coins) <input name="float" inputmode="decimal" required autofocus /></label>
        <button type="submit">Open session</button>
      </form></section>`;
  }

  sellView(s) {
    const term = s.search.trim().toLowerCase();
    const names = [...new Set(s.products.map((p) => p.category || "Other"))].sort();
    const shown = s.products.filter((p) => (term ? p.name.toLowerCase().includes(term) || p.sku.toLowerCase().includes(term)
      : !s.category || (p.category || "Other") === s.category));
    const cart = s.cart;
    return html`<div class="sell">
      <section class="products">
        <input id="search" placeholder="Search name or SKU" value=${s.search}
          onInput=${(e) => this.setState({ search: e.target.value })} />
        <div class="tabs">${names.map((n) => html`<button class=${s.category === n ? "on" : ""}
          onClick=${() => this.setState({ category: s.category === n ? null : n, search: "" })}>${n}</button>`)}</div>
        <div class="grid">${shown.slice(0, 60).map((p) => html`<button class="product" data-sku=${p.sku}
          onClick=${() => this.add(p)}><span>${p.name}</span><b>${p.unit_price}</b></button>`)}</div>
      </section>
      <section class="cart" id="cart">
        <h2>Sale ${cart.customer ? html`· <span id="cart-customer">${cart.customer.name}</span>` : null}</h2>
        <table><tbody>${cart.lines.map((l, i) => html`<tr class="line" data-sku=${l.item.sku}>
          <td>${l.item.name}</td>
          <td><button class="qty" aria-label="less" onClick=${() => this.changeLine(i, { quantity: l.quantity - 1 })}>−</button>
            <span class="quantity">${l.quantity}</span>
            <button class="qty" aria-label="more" onClick=${() => this.changeLine(i, { quantity: l.quantity + 1 })}>+</button></td>
          <td><input class="discount" aria-label="discount %" placeholder="% off" value=${l.discount} size="3"
            onChange=${(e) => this.changeLine(i, { discount: e.target.value })} /></td>
          <td><button class="remove" aria-label="remove" onClick=${() => this.changeLine(i, { quantity: 0 })}>✕</button></td>
        </tr>`)}</tbody></table>
        <p class="estimate">Estimate <b id="estimate">${fmt(estimate(cart.lines))}</b>${" "}
          <small>(the server prices the sale at payment)</small></p>
        <div class="actions">
          <button class="primary" id="pay" onClick=${() => this.toPayment()}>Pay</button>
          <button onClick=${() => this.park()}>Park</button>
          <button onClick=${() => this.setState({ screen: "customer" })}>Customer</button>
          <button onClick=${() => this.voidSale()}>Void</button>
        </div>
        ${s.parked.length ? html`<div class="parked"><h3>Parked</h3>${s.parked.map((p) => html`
          <button class="resume" onClick=${() => this.resume(p)}>Resume ${p.lines.length} line(s), ${fmt(estimate(p.lines))}</button>`)}</div>` : null}
      </section></div>`;
  }

  customerView(s) {
    return html`<section class="narrow">
      <h1>Attach a customer</h1>
      <form onSubmit=${(e) => this.findCustomers(e)}>
        <label>Name, phone or email <input name="q" required autofocus /></label><button type="submit">Search</button>
      </form>
      <div class="list">${s.customers.map((c) => html`<button class="customer" onClick=${() =>
        this.setState({ cart: { ...s.cart, customer: c }, screen: "sell", message: `${c.name} attached.` })}>
        ${[c.name, c.phone, c.email].filter(Boolean).join(" · ")}</button>`)}</div>
      <button onClick=${() => this.setState({ screen: "sell" })}>Back</button></section>`;
  }

  payView(s) {
    const order = s.cart.order;
    const due = order ? cents(order.remaining) : estimate(s.cart.lines);
    const quick = [...new Set([due, Math.ceil(due / 500) * 500, Math.ceil(due / 1000) * 1000, Math.ceil(due / 2000) * 2000,
      Math.ceil(due / 5000) * 5000])].filter((c) => c >= due);
    const amountOr = (fallback) => document.getElementById("tender").value || fmt(fallback);
    const tender = (method) => (e) => {
      e.preventDefault();
      this.pay(method, amountOr(due));
    };
    // A shop's tender that needs a reference (a voucher's number) asks for it first; nothing is sent without it.
    const shopTender = (t) => (e) => {
      e.preventDefault();
      const field = document.getElementById("tender-reference");
      const reference = s.askReference === t.code && field ? field.value.trim() : "";
      if (t.needs_reference && !reference) {
        return this.setState({ askReference: t.code, message: null,
                               error: `${t.name} needs its number: type it, then press ${t.name} again.` },
                             () => document.getElementById("tender-reference")?.focus());
      }
      this.pay(t.code, amountOr(due), reference);
    };
    const asking = this.shopTenders().find((t) => t.code === s.askReference);
    const customer = s.cart.customer;
    const points = customer ? customer.points_balance || 0 : 0;
    const pointsWhy = !order || !s.online ? "Points need the network: the server holds the customer's balance."
      : points <= 0 ? "The customer has no points to spend." : "";
    return html`<section class="pay">
      <h1>${order ? html`Total <span id="total">${order.total}</span>` : html`Total (estimate, offline) <span id="total">${fmt(due)}</span>`}</h1>
      ${order && html`<p>Paid <span id="paid">${order.paid}</span> · Still due <b id="due">${order.remaining}</b></p>`}
      <form onSubmit=${tender("cash")}>
        <label>Amount <input id="tender" inputmode="decimal" placeholder=${fmt(due)} autofocus /></label>
        ${asking ? html`<label>${asking.name} number <input id="tender-reference" autocomplete="off" maxlength="60"
          onKeyDown=${(e) => e.key === "Enter" && shopTender(asking)(e)} /></label>` : null}
        <div class="quick">${quick.map((c) => html`<button type="button" class="quick-cash" onClick=${() => this.pay("cash", fmt(c))}>
          Cash ${fmt(c)}</button>`)}</div>
        <div class="actions">
          <button type="submit" class="primary" id="pay-cash">Cash</button>
          <button type="button" id="pay-card" disabled=${!order} onClick=${tender("card")}>
            ${order ? "Card" : "Card (needs network)"}</button>
          ${this.shopTenders().map((t) => html`<button type="button" class="pay-tender" data-code=${t.code}
            onClick=${shopTender(t)}>${t.name}</button>`)}
          ${customer ? html`<button type="button" id="pay-points" disabled=${Boolean(pointsWhy)} title=${pointsWhy}
            onClick=${(e) => { e.preventDefault(); this.pay("points", amountOr(Math.min(due, points * this.pointCents()))); }}>
            Points (${points.toLocaleString("en")} = ${fmt(points * this.pointCents())})</button>` : null}
          <button type="button" onClick=${() => this.voidSale()}>Void sale</button>
          <button type="button" onClick=${() => this.setState({ screen: "sell" })}>Back</button>
        </div>
      </form></section>`;
  }

  receiptView(s) {
    const r = s.receipt;
    return html`<section class="receipt-screen">
      ${r.change && cents(r.change) > 0 ? html`<p class="change">Change <span id="change">${r.change}</span></p>` : null}
      <article class="receipt" id="receipt">
        <h2>${r.shop_name || "Receipt"}</h2>
        <p>${r.provisional ? html`<b>Waiting to send</b> — provisional` : html`No. <span id="receipt-number">${r.number}</span>`}</p>
        <p>${new Date(r.date || r.placed_at).toLocaleString()}</p>
        <table>${(r.lines || []).map((l) => html`<tr><td>${l.quantity} × ${l.name}</td><td>${l.total || ""}</td></tr>`)}</table>
        <p>Total <b id="receipt-total">${r.total}</b></p>
        ${(r.payments || []).map((p) => html`<p class="payment">${p.method} ${p.amount}</p>`)}
        ${r.paid ? html`<p>Paid ${r.paid}</p>` : null}
        ${r.change ? html`<p>Change ${r.change}</p>` : null}
      </article>
      <div class="actions no-print">
        <button class="primary" onClick=${() => window.print()}>Print</button>
        <button id="new-sale" onClick=${() => this.setState({ screen: "sell", receipt: null, message: null })}>New sale</button>
      </div></section>`;
  }

  receiptsView(s) {
    return html`<section class="narrow">
      <h1>Receipts</h1>
      <form onSubmit=${(e) => this.reprint(e)}>
        <label>Receipt number <input name="number" required /></label><button type="submit">Show</button>
      </form>
      <div class="list">${s.receipts.slice(0, 30).map((r) => html`<button class="past-receipt" data-number=${r.number}
        onClick=${() => this.setState({ receipt: r, screen: "receipt" })}>${r.number} · ${r.total}</button>`)}</div>
    </section>`;
  }

  refundView(s) {
    const order = s.refundOrder;
    return html`<section class="narrow">
      <h1>Refund</h1>
      ${!s.online && html`<p class="error">Refunds need the network.</p>`}
      <form onSubmit=${(e) => this.findRefund(e)}>
        <label>Receipt number <input name="number" required /></label><button type="submit">Find</button>
      </form>
      ${order && html`<form id="refund-form" onSubmit=${(e) => this.refund(e)}>
        <h2>${order.number} · ${order.total}</h2>
        ${order.lines.map((l) => html`<label>${l.name} (sold ${l.quantity}, refunded ${l.refunded_quantity ?? 0})
          <input name=${`qty-${l.line_no}`} type="number" min="0" max=${l.quantity} value="0" /></label>`)}
        <label>Tender back <select name="method"><option value="original">as paid</option><option value="cash">cash</option>
          <option value="card">card</option>${this.shopTenders().map((t) => html`<option value=${t.code}>${t.name}</option>`)}
          </select></label>
        <label>Reason <input name="reason" /></label>
        <button type="submit" class="primary">Refund</button></form>`}
    </section>`;
  }

  cashView() {
    return html`<section class="narrow">
      <h1>Cash in / out</h1>
      <form onSubmit=${(e) => this.cashMovement(e)}>
        <label>Direction <select name="direction"><option value="out">out</option><option value="in">in</option></select></label>
        <label>Amount <input name="amount" inputmode="decimal" required /></label>
        <label>Reason <input name="reason" required /></label>
        <button type="submit" class="primary">Record</button>
      </form></section>`;
  }

  closeView(s) {
    return html`<section class="narrow">
      <h1>Close the session</h1>
      <form onSubmit=${(e) => this.closeSession(e)}>
        <label>Counted cash <input name="cash" inputmode="decimal" required /></label>
        <label>Card terminal total <input name="card" inputmode="decimal" /></label>
        ${(s.session?.used || []).map((code) => html`<label>${this.tenderName(code)} counted (optional)
          <input class="counted-tender" name=${`counted-${code}`} data-code=${code} inputmode="decimal" /></label>`)}
        <button type="submit" class="primary">Close and show the Z-report</button>
      </form></section>`;
  }

  zreportView(s) {
    const z = s.zreport;
    // One named line per figure; the long names (discount_total, tax_total) repeat the short ones.
    const lines = Z_LINES.filter(([key]) => z[key] !== undefined && z[key] !== null);
    return html`<section class="receipt-screen">
      <article class="receipt" id="zreport">
        <h2>Z-report${z.z_number ? ` no. ${z.z_number}` : ""}</h2>
        <table>${lines.map(([key, label]) => html`<tr data-field=${key}><td>${label}</td><td class="value">${z[key]}</td></tr>`)}</table>
        ${(z.taxes || []).length ? html`<h3>Tax by rate</h3><table>${z.taxes.map((t) => html`<tr data-tax-rate=${t.rate}>
          <td>${t.rate} %</td><td>taxable ${t.taxable}</td><td>tax ${t.tax}</td></tr>`)}</table>` : ""}
        <h3>Tenders</h3>
        <table>${(z.methods || []).map((m) => html`<tr data-method=${m.method}><td>${this.tenderName(m.method)}</td><td>expected ${m.expected}</td>
          <td>counted ${m.counted}</td><td>difference ${m.difference}</td></tr>`)}</table>
      </article>
      <div class="actions no-print"><button onClick=${() => window.print()}>Print</button>
        <button onClick=${() => this.setState({ screen: "open", zreport: null })}>Done</button></div>
    </section>`;
  }
}

// The Z-report's figures as a cashier reads them, in this order.
const Z_LINES = [
  ["sales_count", "Sales"], ["gross", "Gross sales"], ["discounts", "Discounts"],
  ["refund_count", "Refunds"], ["refunds", "Refunded"], ["net", "Net sales"], ["tax", "Tax on sales"],
  ["refund_tax", "Tax on refunds"], ["void_count", "Voided sales"], ["voids", "Voided amount"],
  ["opening_float", "Opening float"], ["cash_in", "Cash paid in"], ["cash_out", "Cash paid out"],
  ["cash_difference", "Cash difference"],
];

export function start(root) {
  render(html`<${App} />`, root);
}
