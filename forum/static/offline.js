// Reading and writing offline (issue 23). Optional: without it every page and form works as
// before. Saved threads are fetched as a visitor sees them (credentials: "omit") into the
// "serambi-saved" cache; the outbox lives in IndexedDB and is sent with the member's session,
// each entry once, under the key made here (client_key). All of it belongs to one member.
(function () {
  var me = document.currentScript, doc = document;
  if (!me || !("serviceWorker" in navigator) || !window.indexedDB || !window.caches) return;
  var $ = function (s, root) { return (root || doc).querySelector(s); };
  var $$ = function (s, root) { return [].slice.call((root || doc).querySelectorAll(s)); };
  var member = ($('meta[name="serambi-member"]') || {}).content || "";
  var copy = $('meta[name="serambi-saved"]');  // this page is a saved copy, opened offline
  var bar = $("#offline-bar"), page = $("#offline-page"), lang = doc.documentElement.lang;
  var W = bar ? bar.dataset : {}, P = page ? page.dataset : {};
  var SAVED = "serambi-saved", OFFLINE = me.dataset.offline, HOUR = 3600e3;

  var opened;
  function db() {
    return opened || (opened = new Promise(function (ok, no) {
      var r = indexedDB.open("serambi", 1);
      r.onupgradeneeded = function () {
        r.result.createObjectStore("saved", {keyPath: "id"});
        r.result.createObjectStore("outbox", {keyPath: "key"});
      };
      r.onsuccess = function () { ok(r.result); };
      r.onerror = function () { no(r.error); };
    }));
  }
  function tx(name, fn) {
    return db().then(function (d) {
      return new Promise(function (ok, no) {
        var t = d.transaction(name, "readwrite"), out = fn(t.objectStore(name));
        t.oncomplete = function () { ok(out && out.result); };
        t.onerror = function () { no(t.error); };
      });
    });
  }
  function all(name) { return tx(name, function (s) { return s.getAll(); }); }
  function put(name, v) { return tx(name, function (s) { s.put(v); }); }
  function del(name, k) { return tx(name, function (s) { s.delete(k); }); }
  function mine() {
    return all("outbox").then(function (list) {
      return list.filter(function (i) { return member && i.owner === member; });
    });
  }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  function el(tag, attrs, text) {
    var e = doc.createElement(tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (text) e.textContent = text;
    return e;
  }
  function when(iso) {
    return new Date(iso).toLocaleString(lang, {dateStyle: "medium", timeStyle: "short"});
  }
  function say(html) { if (bar) { bar.innerHTML = ""; bar.append.apply(bar, html); bar.hidden = false; } }

  // Shared phones: what another member (or the one before a logout) kept goes.
  function forget() {
    var owner = localStorage.getItem("serambi-owner");
    var done = owner && owner !== member
      ? Promise.all([caches.delete(SAVED), caches.delete("serambi-page"),
        tx("saved", function (s) { s.clear(); })])
      : Promise.resolve();
    return done.then(function () {
      localStorage.setItem("serambi-owner", member);
      if (!member) return;  // an ended session: the outbox waits, hidden, for its member
      return all("outbox").then(function (list) {
        return Promise.all(list.filter(function (i) { return i.owner !== member; })
          .map(function (i) { return del("outbox", i.key); }));
      });
    }).then(function () {
      // The page shown for what is not saved, in this member's language.
      var kept = lang + "|" + member;
      if (navigator.onLine && localStorage.getItem("serambi-page") !== kept) {
        return caches.open("serambi-page").then(function (c) { return c.add(OFFLINE); })
          .then(function () { localStorage.setItem("serambi-page", kept); });
      }
    });
  }

  // Saving a thread: every page of replies, its thumbnails, styles and scripts.
  function keep(cache, url, size) {
    return cache.match(url, {ignoreVary: true}).then(function (hit) {
      return hit || fetch(url, {credentials: "omit"}).then(function (res) {
        if (!res.ok) return res;
        return cache.put(url, res.clone()).then(function () { return res; });
      });
    }).then(function (res) { return res.blob(); }).then(function (b) { size.n += b.size; });
  }
  function fetchPage(cache, url, at, size, files) {
    return fetch(url, {credentials: "omit", cache: "no-store"}).then(function (res) {
      if (!res.ok) throw new Error(res.status);
      return res.text();
    }).then(function (html) {
      html = html.replace("<head>", '<head><meta name="serambi-saved" content="' + at + '">');
      size.n += new Blob([html]).size;
      var d = new DOMParser().parseFromString(html, "text/html");
      $$("img[src], link[rel=stylesheet], script[src]", d).forEach(function (e) {
        var u = new URL(e.getAttribute("src") || e.getAttribute("href"), location.href);
        if (u.origin === location.origin) files[u.pathname] = 1;
      });
      var put = cache.put(url, new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}}));
      return put.then(function () { return d; });
    });
  }
  function save(id, url) {
    var at = new Date().toISOString(), size = {n: 0}, files = {}, pages = [url];
    return caches.open(SAVED).then(function (cache) {
      return fetchPage(cache, url, at, size, files).then(function (d) {
        var info = $("#offline-save", d), count = info ? +info.dataset.pages : 1;
        for (var n = 2; n <= count; n++) pages.push(url + "?page=" + n);
        return Promise.all(pages.slice(1).map(function (u) {
          return fetchPage(cache, u, at, size, files);
        })).then(function () {
          return Promise.all(Object.keys(files).map(function (f) { return keep(cache, f, size); }));
        }).then(function () {
          var thumbs = Object.keys(files).filter(function (f) { return f.indexOf("/assets/") !== 0; });
          var title = info ? info.dataset.title : $("h1", d).textContent;
          return put("saved", {id: id, url: url, title: title, pages: pages, files: thumbs, at: at, size: size.n});
        });
      });
    });
  }
  function remove(item) {
    return caches.open(SAVED).then(function (cache) {
      return Promise.all(item.pages.concat(item.files).map(function (u) { return cache.delete(u); }));
    }).then(function () { return del("saved", item.id); });
  }
  function refresh() {
    return all("saved").then(function (list) {
      return Promise.all(list.filter(function (i) { return Date.now() - Date.parse(i.at) > HOUR; })
        .map(function (i) {
          // Gone for visitors (hidden, withdrawn): the saved copy goes too.
          return save(i.id, i.url).catch(function (e) { if (/^40/.test(e.message)) return remove(i); });
        }));
    });
  }
  function saveButton() {
    var box = $("#offline-save");
    if (!box) return;
    var status = $("[role=status]", box), url = location.pathname;
    box.hidden = false;
    all("saved").then(function (list) {
      if (list.some(function (i) { return i.url === url; })) status.textContent = box.dataset.saved;
    });
    $("button", box).addEventListener("click", function () {
      status.textContent = box.dataset.saving;
      save(+box.dataset.thread, url).then(function () { status.textContent = box.dataset.saved; },
        function () { status.textContent = box.dataset.failed; });
    });
  }

  // Writing offline: the reply or thread is kept, then sent once with the member's session.
  doc.addEventListener("submit", function (e) {
    var form = e.target, by = e.submitter;
    if (!form.hasAttribute("data-outbox") || navigator.onLine || !member) return;
    if (by && by.name && by.name !== "submit") return;  // a preview or a draft: as usual
    e.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (v, k) {
      if (typeof v === "string" && k !== "csrf_token" && k !== "client_key") fields.push([k, v]);
    });
    var item = {key: form.elements.client_key.value || newKey(), owner: member, action: form.action,
      thread: form.dataset.outbox, fields: fields, at: new Date().toISOString()};
    put("outbox", item).then(function () {
      $$("textarea, input[name=title], input[name=tags]", form).forEach(function (f) { f.value = ""; });
      form.elements.client_key.value = newKey();
      var note = $(".kept", form) || form.insertBefore(el("p", {"class": "notice kept", role: "status"}), form.firstChild);
      note.textContent = W.kept;
      note.append(" ", el("a", {href: OFFLINE}, W.see));
      show();
    });
  });
  function field(item, name) {
    var f = item.fields.filter(function (f) { return f[0] === name; })[0];
    return f ? f[1] : "";
  }
  function reason(html, status) {
    var d = new DOMParser().parseFromString(html, "text/html");
    var parts = $$("main .error-summary, main .error", d);
    if (!parts.length) parts = $$("main h1, main h1 + p", d);
    return parts.map(function (p) { return p.textContent.trim(); }).join(" ") || String(status);
  }
  function send(item, csrf) {
    var body = new FormData();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.append("client_key", item.key);
    body.append("csrf_token", csrf);
    return fetch(item.action, {method: "POST", body: body, credentials: "same-origin"}).then(function (res) {
      var out = new URL(res.url).pathname === new URL(me.dataset.login, location.href).pathname;
      if (res.ok && res.redirected && !out) {
        return del("outbox", item.key).then(function () {
          say([el("a", {href: res.url}, W.sent.replace("{title}", item.thread || field(item, "title")))]);
        });
      }
      return res.text().then(function (html) {
        item.error = out ? W.login : reason(html, res.status);
        item.held = res.status !== 429;  // a refusal waits for the member; "too many" tries again
        return put("outbox", item);
      });
    }, function () {});  // no connection after all: it waits
  }
  var sending = false;
  function flush(force) {
    if (sending || !member || copy || !navigator.onLine) return Promise.resolve();
    sending = true;
    return mine().then(function (list) {
      list = list.filter(function (i) { return force || !i.held; });
      if (!list.length) return;
      return fetch(me.dataset.session, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.json(); }).then(function (who) {
          if (String(who.member) !== member) {
            return Promise.all(list.map(function (i) { i.error = W.login; return put("outbox", i); }));
          }
          return list.reduce(function (p, i) {
            return p.then(function () { return send(i, who.csrf); });
          }, Promise.resolve());
        });
    }).catch(function () {}).then(function () { sending = false; show(); });
  }

  // What the member sees: a line on every page, the lists on the offline page.
  function show() {
    if (page) list();
    if (!bar || copy) return;
    mine().then(function (items) {
      if (!items.length) return;
      say([W.waiting.replace("{n}", items.length) + " ", el("a", {href: OFFLINE}, W.see)]);
    });
  }
  function list() {
    $("#offline-missing").hidden = location.pathname === OFFLINE;
    all("saved").then(function (items) {
      var ul = $(".saved-list", page);
      ul.innerHTML = "";
      items.sort(function (a, b) { return a.at < b.at ? 1 : -1; }).forEach(function (i) {
        var li = el("li"), rm = el("button", {type: "button", "class": "secondary"}, P.remove);
        li.append(el("a", {href: i.url}, i.title), " ",
          el("span", {"class": "hint"}, P.savedAt.replace("{when}", when(i.at)) + " · " +
            Math.max(1, Math.round(i.size / 1024)) + " KB"), " ", rm);
        rm.addEventListener("click", function () { remove(i).then(list); });
        ul.append(li);
      });
      $("#saved-empty").hidden = items.length > 0;
      $("#remove-all").hidden = !items.length;
    });
    mine().then(function (items) {
      var ol = $(".outbox-list", page);
      ol.innerHTML = "";
      $("#outbox").hidden = !items.length;
      items.forEach(function (i) { ol.append(entry(i)); });
    });
  }
  function entry(item) {
    var li = el("li", {"class": "outbox-item"}), id = "ob-" + item.key;
    li.append(el("p", {"class": "meta"}, item.thread ? P.replyTo.replace("{title}", item.thread) : P.newThread));
    function input(name, tag, label) {
      var box = el("div", {"class": "field"}), f = el(tag, {id: id + name, name: name});
      if (tag === "textarea") f.rows = 5;
      f.value = field(item, name);
      f.addEventListener("input", function () {
        item.fields = item.fields.filter(function (x) { return x[0] !== name; }).concat([[name, f.value]]);
        item.held = false;
        put("outbox", item);
      });
      box.append(el("label", {"for": id + name}, label), f);
      li.append(box);
    }
    if (!item.thread) input("title", "input", P.titleLabel);
    input("body", "textarea", P.textLabel);
    if (item.error) li.append(el("p", {"class": "error", role: "alert"}, item.error));
    var buttons = el("p", {"class": "buttons"}), drop = el("button", {type: "button", "class": "secondary"}, P.discard),
      go = el("button", {type: "button"}, P.send);
    drop.addEventListener("click", function () { if (confirm(P.discardAsk)) del("outbox", item.key).then(show); });
    go.addEventListener("click", function () { flush(true); });
    buttons.append(drop, " ", go);
    li.append(buttons);
    return li;
  }

  if (copy) {
    say([W.copy.replace("{when}", when(copy.content))]);
  } else {
    forget().catch(function () {}).then(function () {
      if (member) $$("form[data-outbox]").forEach(function (f) {
        if (f.elements.client_key && !f.elements.client_key.value) f.elements.client_key.value = newKey();
      });
      saveButton();
      show();
      flush();
      if (navigator.onLine) refresh().catch(function () {});
    });
    addEventListener("online", function () { flush(); refresh().catch(function () {}); });
  }
  if (page) {
    $("#remove-all").addEventListener("click", function () {
      caches.delete(SAVED).then(function () { return tx("saved", function (s) { s.clear(); }); }).then(list);
    });
  }
  navigator.serviceWorker.register(me.dataset.worker, {scope: "/"}).catch(function () {});
})();
