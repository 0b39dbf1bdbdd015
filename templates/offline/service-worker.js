// Serambi's service worker (issue 23). Pages are always asked of the network first; with no
// signal it answers with a thread saved by offline.js ("serambi-saved", fetched as a visitor
// sees it), else with the offline page ("serambi-page"). It keeps by itself only the site's
// content-hashed styles and scripts, as pages use them.
var SHELL = {{ ("serambi-shell-" ~ version)|tojson }};
var OFFLINE = {{ url_for('offline.page')|tojson }};
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("serambi-shell-") === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
function saved(r) {
  return caches.open("serambi-saved").then(function (c) { return c.match(r, {ignoreVary: true}); });
}
function or(hit) { return hit || Response.error(); }
self.addEventListener("fetch", function (e) {
  var r = e.request, url = new URL(r.url);
  if (url.origin !== location.origin) return;
  if (r.mode === "navigate") {
    // A form sent with no signal gets the offline page too: offline.js keeps what it carried.
    var get = r.method === "GET";
    e.respondWith(fetch(r).catch(function () {
      return (get ? saved(r) : Promise.resolve()).then(function (hit) {
        return hit || caches.open("serambi-page").then(function (c) { return c.match(OFFLINE); });
      }).then(or);
    }));
  } else if (r.method !== "GET") {
    return;
  } else if (url.pathname.indexOf("/assets/") === 0) {
    e.respondWith(caches.match(r, {ignoreVary: true}).then(function (hit) {
      return hit || fetch(r).then(function (res) {
        var copy = res.clone();
        if (res.ok) caches.open(SHELL).then(function (c) { return c.put(r, copy); });
        return res;
      });
    }));
  } else if (url.pathname.indexOf("/attachments/") === 0) {
    e.respondWith(fetch(r).catch(function () { return saved(r).then(or); }));
  }
});
