// Optional: shrink photos in the browser before upload, so a post from a slow phone
// connection sends ~0.5 MB per photo instead of 3-5 MB. The form works without this
// file, and the server still checks and re-encodes every photo.
(function () {
  if (!window.DataTransfer || !window.createImageBitmap || !HTMLCanvasElement.prototype.toBlob) return;
  var LONG_SIDE = 2048; // above the server's 1600 px, so nothing is lost twice
  var WORTH_IT = 1024 * 1024; // smaller files go as they are
  function shrink(file) {
    if (!/^image\/(jpeg|png|webp)$/.test(file.type) || file.size < WORTH_IT) return Promise.resolve(file);
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][name=files]"), function (input) {
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) return;
      shrink(file).then(function (smaller) {
        if (smaller === file) return;
        var list = new DataTransfer();
        list.items.add(smaller);
        input.files = list.files;
      });
    });
  });
})();
// Optional: once a post form is sent, its buttons wait and say so (a photo on a slow
// connection takes a while; a second tap would send the post twice). Disabled only after
// the submit event, so the pressed button's name still goes with the form. With photos
// the form goes by XMLHttpRequest, whose upload events give a real percentage (fetch has none).
(function () {
  function buttons(form, off) {
    Array.prototype.forEach.call(form.querySelectorAll("button, input[type=submit]"), function (b) { b.disabled = off; });
  }
  function status(form, text) {
    var line = form.querySelector(".sending");
    if (!line) {
      line = document.createElement("p");
      line.className = "sending hint";
      line.setAttribute("role", "status");
      form.appendChild(line);
    }
    line.textContent = text;
    return line;
  }
  function upload(form, pressed, line) {
    var data = new FormData(form), xhr = new XMLHttpRequest();
    var bar = document.createElement("progress"), percent = document.createElement("span");
    if (pressed && pressed.name) data.append(pressed.name, pressed.value);
    bar.max = 100;
    bar.value = 0;
    line.appendChild(document.createElement("br"));
    line.appendChild(bar);
    line.appendChild(percent);
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.value = Math.floor((e.loaded * 100) / e.total);
      percent.textContent = bar.value + "%";
    };
    xhr.onload = function () {
      var url = xhr.responseURL || form.action, sent = url.split("#")[0] !== form.action.split("#")[0];
      if (sent && xhr.status < 400) {
        // Redirected to the post (its #anchor is not part of responseURL): the edited post, or
        // the newest on the page for a new reply.
        // A new thread opens at its top.
        var edited = /\/posts\/(\d+)\//.exec(form.action), newest = 0;
        xhr.responseText.replace(/id="post-(\d+)"/g, function (m, id) { newest = Math.max(newest, +id); });
        var anchor = edited ? "#post-" + edited[1] : /\/replies$/.test(form.action) ? "#post-" + newest : "";
        if (!anchor) return window.location.replace(url);
        // Loaded afresh (going to the same page with an #anchor would only scroll), and
        // taken to the post by the code below, since a reload keeps the old scroll position.
        store.setItem("serambi-sent", anchor);
        window.history.scrollRestoration = "manual";
        window.history.replaceState(null, "", url + anchor);
        return window.location.reload();
      }
      // A form with its errors, or an error page: shown as if sent without JavaScript.
      window.history.replaceState(null, "", url);
      document.open();
      document.write(xhr.responseText);
      document.close();
    };
    xhr.onerror = function () {
      buttons(form, false);
      status(form, form.getAttribute("data-failed") || "");
    };
    xhr.open("POST", form.action);
    xhr.send(data);
  }
  var store = null;
  try { store = window.sessionStorage; } catch (e) {} // off in some private modes
  var sent = store && store.getItem("serambi-sent");
  if (sent) {
    store.removeItem("serambi-sent");
    var post = sent === location.hash && document.getElementById(sent.slice(1));
    if (post) post.scrollIntoView();
  }
  Array.prototype.forEach.call(document.querySelectorAll("form[enctype='multipart/form-data']"), function (form) {
    form.addEventListener("submit", function (event) {
      var pressed = event.submitter;
      var files = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
      // Offline, the outbox (offline.js) keeps the post: the form is not being sent.
      var xhr = files && navigator.onLine && store && form.hasAttribute("data-failed");
      if (xhr) event.preventDefault();
      setTimeout(function () {
        if (event.defaultPrevented && !xhr) return;
        var line = status(form, files ? form.getAttribute("data-sending-files") || "" : form.getAttribute("data-sending") || "");
        buttons(form, true);
        if (pressed) pressed.setAttribute("aria-busy", "true");
        if (xhr) upload(form, pressed, line);
      }, 0);
      // If the page is still here after a long while (the connection dropped), let them try again.
      if (!xhr) setTimeout(function () {
        buttons(form, false);
        status(form, "");
      }, 120000);
    });
  });
  // Back to a page kept in memory: its buttons work again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    Array.prototype.forEach.call(document.querySelectorAll("form button[disabled]"), function (b) { b.disabled = false; });
    Array.prototype.forEach.call(document.querySelectorAll(".sending"), function (s) { s.textContent = ""; });
  });
})();
