// The till's service worker: the app shell (page, script, styles) from the cache when the network
// is down, refreshed from the network whenever it is up. API calls are never cached here: the
// till keeps its data in IndexedDB and queues its writes itself.
const CACHE = "pos-till-shell-v1";
const SHELL = ["/till/", "/static/till/app.js", "/static/till/till.css"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || !SHELL.includes(url.pathname)) return;
  // Network first (a new build is picked up at once), the cached shell when offline.
  event.respondWith(fetch(event.request)
    .then((response) => {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
      return response;
    })
    .catch(() => caches.match(url.pathname)));
});
