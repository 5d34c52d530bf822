// What the till keeps in the browser (IndexedDB, through `idb`): the price list and its version,
// customers seen, parked sales, receipts of this till (the server's answers), and the queue of
// sales made offline, in the order they were made.
import { openDB } from "idb";

const dbp = openDB("pos-till", 1, {
  upgrade(db) {
    db.createObjectStore("products", { keyPath: "product_id" });
    db.createObjectStore("categories", { keyPath: "category_id" });
    db.createObjectStore("customers", { keyPath: "id" });
    db.createObjectStore("parked", { keyPath: "id" });
    db.createObjectStore("receipts", { keyPath: "number" });
    db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
    db.createObjectStore("meta");
  },
});

export const db = {
  async all(store) { return (await dbp).getAll(store); },
  async put(store, value, key) { return (await dbp).put(store, value, key); },
  async delete(store, key) { return (await dbp).delete(store, key); },
  async get(store, key) { return (await dbp).get(store, key); },
  async putMany(store, values) {
    const tx = (await dbp).transaction(store, "readwrite");
    await Promise.all([...values.map((v) => tx.store.put(v)), tx.done]);
  },
  async clear(store) { return (await dbp).clear(store); },
};
