// Wilayah's service worker: keeps the technician view's app shell so /tech opens and works
// with no connection. Registered by the /tech page; served from the site root so its scope is
// the whole site, but it only answers for the shell below and leaves everything else alone.
//
// Network first, cache as the fallback: online, the page and its wasm always come fresh and
// matching (a cached page with a newer wasm would not hydrate); offline, the last good copies.
// API calls are never cached here: the page keeps the day's plan and its queue of actions in
// localStorage itself.
const CACHE = "wilayah-shell-v1";
const PAGE = "/tech";
const SHELL = [
  PAGE,
  "/pkg/wilayah.js",
  "/pkg/wilayah.wasm",
  "/wilayah.css",
  "/vendor/maplibre-gl.js",
  "/vendor/maplibre-gl.css",
  "/basemap/countries.geojson",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

/// The cache key of a request this worker answers for, or null.
function shellKey(request) {
  if (request.method !== "GET") return null;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return null;
  // Every /tech?technician=… shares one page: it renders only a shell, the rest is client-side.
  if (url.pathname === PAGE) return PAGE;
  return SHELL.includes(url.pathname) ? url.pathname : null;
}

self.addEventListener("fetch", (event) => {
  const key = shellKey(event.request);
  if (key === null) return;
  event.respondWith(
    fetch(event.request)
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((cache) => cache.put(key, copy)));
        }
        return response;
      })
      .catch(() =>
        caches.match(key).then((cached) => cached || Response.error()),
      ),
  );
});
