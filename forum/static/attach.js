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
