// Money on the till is cents (integers): the server's decimal strings in, decimal strings out.
// The till computes only estimates for an unsent cart; every total it shows as final is the server's.
export const cents = (s) => Math.round(Number(s || 0) * 100);
export const fmt = (c) => (c < 0 ? "-" : "") + (Math.abs(c) / 100).toFixed(2);

/** The cart's estimate from the cached price list, rounded half up per line like the server. */
export function estimate(lines) {
  let total = 0;
  for (const line of lines) {
    const gross = cents(line.item.unit_price) * line.quantity;
    const discount = Math.round((gross * Number(line.discount || 0)) / 100);
    let net = gross - discount;
    if (!line.item.price_includes_tax) net = Math.round(net * (1 + Number(line.item.tax_rate) / 100));
    total += net;
  }
  return total;
}
