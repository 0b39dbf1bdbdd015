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
// the submit event, so the pressed button's name still goes with the form.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("form[enctype='multipart/form-data']"), function (form) {
    form.addEventListener("submit", function (event) {
      var pressed = event.submitter;
      // After every listener: a form kept in the offline outbox (offline.js) is not being sent.
      setTimeout(function () {
        if (event.defaultPrevented) return;
        var status = form.querySelector(".sending");
        if (!status) {
          status = document.createElement("p");
          status.className = "sending hint";
          status.setAttribute("role", "status");
          form.appendChild(status);
        }
        var files = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
        status.textContent = files ? form.getAttribute("data-sending-files") || "" : form.getAttribute("data-sending") || "";
        Array.prototype.forEach.call(form.querySelectorAll("button, input[type=submit]"), function (b) { b.disabled = true; });
        if (pressed) pressed.setAttribute("aria-busy", "true");
      }, 0);
      // If the page is still here after a long while (the connection dropped), let them try again.
      setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button, input[type=submit]"), function (b) { b.disabled = false; });
        var status = form.querySelector(".sending");
        if (status) status.textContent = "";
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
