// Search as you type: optional. The search box works without this file.
(function () {
  var box = document.querySelector("header.site input[name=q]");
  if (!box || !window.fetch) return;
  var list = document.createElement("div");
  list.className = "suggest-box";
  list.setAttribute("aria-live", "polite");
  box.form.appendChild(list);
  var timer = null, last = "";
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = box.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 3) { list.innerHTML = ""; return; }
      fetch(box.form.dataset.suggest + "?q=" + encodeURIComponent(q))
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (q === last) list.innerHTML = html; })
        .catch(function () {});
    }, 250);
  });
})();
