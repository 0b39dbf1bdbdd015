// Optional help while writing; every form works without this file.
// 1. Similar threads under the title of a new thread, so people find an answer before asking.
// 2. Drafts saved to the server every 20 seconds while typing, so a dropped connection loses nothing.
// 3. "Quote" fills this page's reply box instead of opening the reply page.
(function () {
  if (!window.fetch || !window.FormData) return;
  var form = document.querySelector("form[data-similar]");
  var title = form && form.querySelector("input[name=title]");
  var box = document.getElementById("similar-threads");
  if (title && box) {
    var timer = null, last = "";
    title.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = title.value.trim();
        if (text === last || text.length < 5) return;
        last = text;
        fetch(form.dataset.similar + "?title=" + encodeURIComponent(text))
          .then(function (r) { return r.ok ? r.text() : ""; })
          .then(function (html) { if (text === last) box.innerHTML = html; })
          .catch(function () {});
      }, 600);
    });
  }
  var replyBox = document.querySelector("form[data-draft] textarea[name=body]");
  if (replyBox && window.DOMParser) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a.quote");
      if (!link) return;
      event.preventDefault();
      fetch(link.href, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw r; return r.text(); })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var form = page.querySelector("form[data-quoted]");
          if (!form) throw form;
          var text = form.getAttribute("data-quoted");
          replyBox.value = (replyBox.value.trim() ? replyBox.value.replace(/\s+$/, "") + "\n\n" : "") + text;
          replyBox.focus();
          replyBox.setSelectionRange(replyBox.value.length, replyBox.value.length); // type after it
          replyBox.scrollIntoView({ block: "center" });
        })
        .catch(function () { window.location = link.href; });
    });
  }
  // The text only: chosen photos are not drafts, and re-sending them would cost a phone dearly.
  function text(form) {
    var data = new FormData(form);
    data.delete("files");
    return data;
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (draft) {
    var saved = new URLSearchParams(text(draft)).toString();
    setInterval(function () {
      var now = new URLSearchParams(text(draft)).toString();
      if (now === saved) return;
      fetch(draft.dataset.draft, { method: "POST", body: text(draft), credentials: "same-origin" })
        .then(function (r) { if (r.ok) saved = now; })
        .catch(function () {});
    }, 20000);
  });
})();
// 4. Typing "@" and a few letters offers members by username or name; a tap writes "@username ".
(function () {
  if (!window.fetch) return;
  var WORD = /(^|[^\w@\/.])@(\w{1,30})$/;
  Array.prototype.forEach.call(document.querySelectorAll("form[data-mentions] textarea"), function (box) {
    var url = box.form.getAttribute("data-mentions");
    var list = document.createElement("ul");
    list.className = "mention-list";
    list.hidden = true;
    list.setAttribute("aria-label", box.form.getAttribute("data-mentions-label") || "");
    box.parentNode.insertBefore(list, box.nextSibling);
    var timer = null, asked = "";
    function close() { list.hidden = true; list.innerHTML = ""; asked = ""; }
    function choose(username) {
      var before = box.value.slice(0, box.selectionStart), after = box.value.slice(box.selectionEnd);
      var match = WORD.exec(before);
      if (!match) return close();
      before = before.slice(0, before.length - match[2].length) + username + " ";
      box.value = before + after;
      box.focus();
      box.setSelectionRange(before.length, before.length);
      close();
    }
    function show(members, word) {
      list.innerHTML = "";
      members.forEach(function (member) {
        var item = document.createElement("li"), button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = "@" + member.username + " · " + member.display_name;
        button.addEventListener("click", function () { choose(member.username); });
        item.appendChild(button);
        list.appendChild(item);
      });
      list.hidden = members.length === 0;
    }
    box.addEventListener("input", function () {
      clearTimeout(timer);
      var match = WORD.exec(box.value.slice(0, box.selectionStart));
      if (!match) return close();
      var word = match[2];
      timer = setTimeout(function () {
        if (word === asked) return;
        asked = word;
        fetch(url + "?q=" + encodeURIComponent(word), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (members) { if (word === asked) show(members, word); })
          .catch(function () {});
      }, 200);
    });
    box.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "Escape") { close(); event.preventDefault(); }
      if (event.key === "ArrowDown") { list.querySelector("button").focus(); event.preventDefault(); }
    });
    list.addEventListener("keydown", function (event) {
      var item = event.target.parentNode;
      if (event.key === "ArrowDown" && item.nextSibling) { item.nextSibling.firstChild.focus(); event.preventDefault(); }
      if (event.key === "ArrowUp") { (item.previousSibling ? item.previousSibling.firstChild : box).focus(); event.preventDefault(); }
      if (event.key === "Escape") { close(); box.focus(); }
    });
  });
})();
