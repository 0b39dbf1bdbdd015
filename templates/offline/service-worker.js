// Serambi's service worker: read saved threads with no signal. It keeps nothing on its own
// but the stylesheet and offline.js; the saved pages are what offline.js put in "serambi-saved"
// (each fetched as a visitor sees it). Pages are always asked of the network first.
var SHELL = "serambi-shell-" + {{ version|tojson }};
var FILES = {{ shell|tojson }};
var OFFLINE = {{ url_for('offline.page')|tojson }};
self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(SHELL).then(function (c) { return c.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("serambi-shell-") === 0 && k !== SHELL; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
function saved(request) {
  return caches.open("serambi-saved").then(function (c) { return c.match(request, {ignoreVary: true}); });
}
self.addEventListener("fetch", function (e) {
  var r = e.request, url = new URL(r.url);
  if (r.method !== "GET" || url.origin !== location.origin) return;
  if (r.mode === "navigate") {
    // A saved thread, else the offline page (kept by offline.js in the member's language).
    e.respondWith(fetch(r).catch(function () {
      return saved(r).then(function (hit) {
        return hit || caches.open("serambi-page").then(function (c) { return c.match(OFFLINE); });
      }).then(function (hit) { return hit || Response.error(); });
    }));
  } else if (url.pathname.indexOf("/assets/") === 0) {
    // Content-hashed names never change: kept copies first.
    e.respondWith(caches.match(r, {ignoreVary: true}).then(function (hit) { return hit || fetch(r); }));
  } else if (url.pathname.indexOf("/attachments/") === 0) {
    e.respondWith(fetch(r).catch(function () { return saved(r).then(function (hit) { return hit || Response.error(); }); }));
  }
});
