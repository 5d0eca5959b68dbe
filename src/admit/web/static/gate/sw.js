/* The gate scanner's service worker: keeps the page and its files so the scanner opens and
   works with no network. The API is never cached: the page keeps the manifest and the scans
   in local storage itself. __BUILD__ changes with every release of the page's files. */
const CACHE = "admit-gate-__BUILD__";
const SHELL = [
  "/gate/",
  "/static/errors.js?b=__BUILD__",
  "/static/gate/payload.js?b=__BUILD__",
  "/static/gate/camera.js?b=__BUILD__",
  "/static/gate/scanner.js?b=__BUILD__",
  "/static/gate/gate.css?b=__BUILD__",
  "/static/gate/manifest.json",
  "/static/gate/icon.svg",
  "/static/gate/vendor/jsQR.js",  // the QR reader where the engine has none (camera.js)
];
const KEPT = new Set(SHELL.map((path) => new URL(path, self.location.origin).href));

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith("admit-gate-") && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) return;  // live data: the page handles being offline
  if (event.request.mode === "navigate" && url.pathname.startsWith("/gate")) {
    // The page: fresh when the network answers, the kept copy when it does not.
    event.respondWith(
      fetch(event.request)
        .then((response) => {
          const copy = response.clone();
          if (response.ok) caches.open(CACHE).then((cache) => cache.put("/gate/", copy));
          return response;
        })
        .catch(() => caches.match("/gate/")),
    );
    return;
  }
  if (url.pathname.startsWith("/static/gate/") || KEPT.has(url.href)) {
    event.respondWith(caches.match(event.request).then((hit) => hit || fetch(event.request)));
  }
});
