// Reading and writing offline (issue 23), optional: README "Reading and writing offline".
// Saved threads: fetched as a visitor (credentials "omit"). Outbox: IndexedDB, sent once per client_key.
(() => {
  const me = document.currentScript, doc = document;
  if (!me || !navigator.serviceWorker || !window.indexedDB || !window.caches) return;
  const $ = (s, root) => (root || doc).querySelector(s);
  const $$ = (s, root) => [...(root || doc).querySelectorAll(s)];
  const member = ($('meta[name="serambi-member"]') || {}).content || "";
  const copy = $('meta[name="serambi-saved"]');  // a saved copy, opened offline
  const bar = $("#offline-bar"), page = $("#offline-page"), lang = doc.documentElement.lang;
  const W = bar ? bar.dataset : {}, P = page ? page.dataset : {}, D = me.dataset;
  const SAVED = "serambi-saved", STALE = 6 * 3600e3;
  const path = (u) => new URL(u, location.href).pathname;

  let opened;
  const db = () => opened || (opened = new Promise((ok, no) => {
    const r = indexedDB.open("serambi", 1);
    r.onupgradeneeded = () => {
      r.result.createObjectStore("saved", {keyPath: "id"});
      r.result.createObjectStore("outbox", {keyPath: "key"});
    };
    r.onsuccess = () => ok(r.result);
    r.onerror = () => no(r.error);
  }));
  const tx = async (name, fn) => {
    const t = (await db()).transaction(name, "readwrite"), out = fn(t.objectStore(name));
    return new Promise((ok, no) => {
      t.oncomplete = () => ok(out && out.result);
      t.onerror = () => no(t.error);
    });
  };
  const all = (name) => tx(name, (s) => s.getAll());
  const put = (name, v) => tx(name, (s) => { s.put(v); });
  const del = (name, k) => tx(name, (s) => { s.delete(k); });
  const mine = async () => (await all("outbox")).filter((i) => member && i.owner === member && !i.pending);
  const newKey = () => crypto.randomUUID ? crypto.randomUUID()
    : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => (b + 256).toString(16).slice(1)).join("");
  const el = (tag, attrs, text) => {
    const e = doc.createElement(tag);
    for (const a in attrs) e.setAttribute(a, attrs[a]);
    if (text) e.textContent = text;
    return e;
  };
  const when = (iso) => new Date(iso).toLocaleString(lang, {dateStyle: "medium", timeStyle: "short"});
  const fill = (node, parts) => { node.textContent = ""; node.append(...parts); };
  const say = (...parts) => { if (bar) { fill(bar, parts); bar.hidden = false; } };
  const field = (item, name) => (item.fields.find((f) => f[0] === name) || [])[1] || "";

  // Shared phones: what the member before (or before a logout) kept goes. An ended session
  // hides the outbox until its member is back; another member's login deletes it.
  async function forget() {
    const owner = localStorage.getItem("serambi-owner");
    if (owner && owner !== member) {
      await Promise.all([caches.delete(SAVED), caches.delete("serambi-page"), tx("saved", (s) => { s.clear(); })]);
    }
    localStorage.setItem("serambi-owner", member);
    if (member) for (const i of await all("outbox")) if (i.owner !== member) await del("outbox", i.key);
    const kept = lang + "|" + member;  // the page shown for what is not saved, in this language
    if (navigator.onLine && localStorage.getItem("serambi-page") !== kept) {
      await (await caches.open("serambi-page")).add(D.offline);
      localStorage.setItem("serambi-page", kept);
    }
  }

  // Saving a thread: every page of its replies, their thumbnails, styles and scripts.
  async function keep(cache, url, size) {
    let res = await cache.match(url, {ignoreVary: true});
    if (!res) {
      res = await fetch(url, {credentials: "omit"});
      if (res.ok) await cache.put(url, res.clone());
    }
    size.n += (await res.blob()).size;
  }
  async function fetchPage(cache, url, at, size, files) {
    const res = await fetch(url, {credentials: "omit", cache: "no-store"});
    if (!res.ok) throw new Error(res.status);
    const html = (await res.text()).replace("<head>", `<head><meta name="serambi-saved" content="${at}">`);
    size.n += new Blob([html]).size;
    const d = new DOMParser().parseFromString(html, "text/html");
    for (const e of $$("img[src], link[rel=stylesheet], script[src]", d)) {
      const u = new URL(e.getAttribute("src") || e.getAttribute("href"), location.href);
      if (u.origin === location.origin) files.add(u.pathname);
    }
    await cache.put(url, new Response(html, {headers: {"Content-Type": "text/html; charset=utf-8"}}));
    return d;
  }
  async function save(id, url) {
    const at = new Date().toISOString(), size = {n: 0}, files = new Set(), pages = [url];
    const cache = await caches.open(SAVED);
    const d = await fetchPage(cache, url, at, size, files), info = $("#offline-save", d);
    for (let n = 2; n <= (info ? +info.dataset.pages : 1); n++) pages.push(url + "?page=" + n);
    await Promise.all(pages.slice(1).map((u) => fetchPage(cache, u, at, size, files)));
    // Its size: what removing it frees (not the shared assets)
    const thumbs = [...files].filter((f) => !f.startsWith("/assets/"));
    await Promise.all([...files].map((f) => keep(cache, f, thumbs.includes(f) ? size : {n: 0})));
    const title = info ? info.dataset.title : $("h1", d).textContent;
    await put("saved", {id, url, title, pages, files: thumbs, at, size: size.n});
  }
  async function remove(item) {
    const cache = await caches.open(SAVED);
    await Promise.all(item.pages.concat(item.files).map((u) => cache.delete(u)));
    await del("saved", item.id);
  }
  async function refresh() {
    // One saved thread per page view, the oldest past STALE: mobile data is paid by the byte.
    const i = (await all("saved")).sort((a, b) => a.at < b.at ? -1 : 1)[0];
    if (!i || Date.now() - Date.parse(i.at) < STALE) return;
    // Gone for visitors (hidden, withdrawn, deleted): the saved copy goes too.
    await save(i.id, i.url).catch((e) => /^(403|404|410)$/.test(e.message) && remove(i));
  }
  function saveButton() {
    const box = $("#offline-save");
    if (!box) return;
    const status = $("[role=status]", box), url = location.pathname, B = box.dataset;
    const done = (text, saved) => { status.textContent = text; $("a", box).hidden = !saved; };
    box.hidden = false;
    all("saved").then((list) => list.some((i) => i.url === url) && done(B.saved, true));
    $("button", box).onclick = () => {
      done(B.saving);
      save(+B.thread, url).then(() => done(B.saved, true), () => done(B.failed));
    };
  }

  // Writing offline: the reply or thread is kept here, then sent once with the member's session.
  // With signal the form goes as usual, and a copy waits ("pending") for the next page: the
  // offline page (the send failed on the way) makes it an outbox entry, any other page drops it.
  doc.addEventListener("submit", async (e) => {
    const form = e.target, by = e.submitter;
    if (!form.hasAttribute("data-outbox") || !member) return;
    if (by && by.name && by.name !== "submit") return;  // a preview or a draft: as usual
    const fields = [...new FormData(form)].filter(([k, v]) =>
      typeof v === "string" && k !== "csrf_token" && k !== "client_key");
    const item = {key: form.elements.client_key.value || newKey(), owner: member,
      action: form.action, thread: form.dataset.outbox, fields, at: new Date().toISOString()};
    if (navigator.onLine) return put("outbox", {...item, pending: 1});
    e.preventDefault();
    await put("outbox", item);
    for (const f of $$("textarea, input[name=title], input[name=tags]", form)) f.value = "";
    form.elements.client_key.value = newKey();
    const note = $(".kept", form) || form.insertBefore(el("p", {class: "notice kept", role: "status"}), form.firstChild);
    fill(note, [W.kept + " ", el("a", {href: D.offline}, W.see)]);
    note.scrollIntoView({block: "center"});
  });
  function reason(html, status) {
    const d = new DOMParser().parseFromString(html, "text/html");
    let parts = $$("main .error-summary, main .error", d);
    if (!parts.length) parts = $$("main h1 + p", d).concat($$("main h1", d)).slice(0, 1);
    return parts.map((p) => p.textContent.trim()).join(" ") || String(status);
  }
  async function send(item, csrf) {
    const body = new FormData();
    for (const [k, v] of item.fields) body.append(k, v);
    body.append("client_key", item.key);
    body.append("csrf_token", csrf);
    let res;
    try {
      res = await fetch(item.action, {method: "POST", body, credentials: "same-origin"});
    } catch (e) {
      return;  // no answer: it waits, and goes again with the same key
    }
    const out = path(res.url) === path(D.login);
    if (res.ok && res.redirected && !out) {
      await del("outbox", item.key);
      return say(el("a", {href: res.url}, W.sent.replace("{title}", item.thread || field(item, "title"))));
    }
    item.error = out ? W.login : reason(await res.text(), res.status);
    item.held = res.status !== 429;  // a refusal waits for the member; "too many" goes again
    await put("outbox", item);
  }
  let sending = false;
  async function flush(force) {
    if (sending || !member || copy || !navigator.onLine) return;
    sending = true;
    try {
      const list = (await mine()).filter((i) => force || !i.held);
      if (list.length) {
        const who = await (await fetch(D.session, {credentials: "same-origin", cache: "no-store"})).json();
        for (const i of list) {
          if (String(who.member) !== member) {
            i.error = W.login;
            await put("outbox", i);
          } else await send(i, who.csrf);
        }
      }
    } catch (e) {
      // no signal after all: tried again on the next page or when the signal returns
    }
    sending = false;
    show();
  }

  // What the member sees: a line on every page, the lists on the offline page.
  async function show() {
    if (page) return list();
    const items = await mine();
    if (bar && !copy && items.length) say(W.waiting.replace("{n}", items.length) + " ", el("a", {href: D.offline}, W.see));
  }
  async function list() {
    $("#offline-missing").hidden = location.pathname === D.offline;
    const saved = (await all("saved")).sort((a, b) => a.at < b.at ? 1 : -1);
    fill($(".saved-list", page), saved.map((i) => {
      const rm = el("button", {type: "button", class: "secondary", "aria-label": P.remove + ": " + i.title}, P.remove);
      rm.onclick = () => remove(i).then(list);
      const kb = Math.max(1, Math.round(i.size / 1024));
      const li = el("li");
      li.append(el("a", {href: i.url}, i.title), " ",
        el("span", {class: "hint"}, P.savedAt.replace("{when}", when(i.at)) + " · " + kb + " KB"), " ", rm);
      return li;
    }));
    $("#saved-empty").hidden = saved.length > 0;
    $("#remove-all").hidden = !saved.length;
    const waiting = await mine();
    $("#outbox").hidden = !waiting.length;
    fill($(".outbox-list", page), waiting.map(entry));
  }
  function entry(item) {
    const li = el("li", {class: "outbox-item"}), id = "ob-" + item.key;
    li.append(el("p", {class: "meta"}, item.thread ? P.replyTo.replace("{title}", item.thread) : P.newThread));
    const input = (name, tag, label) => {
      const box = el("div", {class: "field"}), f = el(tag, {id: id + name, name});
      if (tag === "textarea") f.rows = 5;
      f.value = field(item, name);
      f.oninput = () => {
        item.fields = item.fields.filter((x) => x[0] !== name).concat([[name, f.value]]);
        item.held = false;
        put("outbox", item);
      };
      box.append(el("label", {for: id + name}, label), f);
      li.append(box);
    };
    if (!item.thread) input("title", "input", P.titleLabel);
    input("body", "textarea", P.textLabel);
    if (item.error) li.append(el("p", {class: "error", role: "alert"}, item.error));
    const drop = el("button", {type: "button", class: "secondary"}, P.discard);
    const go = el("button", {type: "button"}, P.send);
    drop.onclick = () => confirm(P.discardAsk) && del("outbox", item.key).then(show);
    const why = el("p", {class: "hint", role: "status"});
    go.onclick = () => navigator.onLine ? flush(true) : why.textContent = W.kept;
    const buttons = el("p", {class: "buttons"});
    buttons.append(drop, " ", go);
    li.append(buttons, why);
    return li;
  }

  if (copy) {
    say(W.copy.replace("{when}", when(copy.content)));
  } else {
    forget().then(async () => {
      const failed = page && location.pathname !== D.offline;
      for (const i of await all("outbox")) {
        if (i.pending && failed) await put("outbox", {...i, pending: 0});
        else if (i.pending) await del("outbox", i.key);
      }
    }).catch(() => {}).then(() => {
      for (const f of $$("form[data-outbox]")) if (!f.elements.client_key.value) f.elements.client_key.value = newKey();
      saveButton();
      show();
      flush();
      if (navigator.onLine) refresh().catch(() => {});
    });
    addEventListener("online", () => { flush(); refresh().catch(() => {}); });
  }
  if (page) {
    $("#remove-all").onclick = async () => {
      if (!confirm(P.removeAllAsk)) return;
      await caches.delete(SAVED);
      await tx("saved", (s) => { s.clear(); });
      list();
    };
  }
  navigator.serviceWorker.register(D.worker, {scope: "/"}).catch(() => {});
})();
