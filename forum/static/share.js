// Copy a thread's address with one tap. Optional: without it the link is a plain link
// to the same address, which a long press copies.
(function () {
  var link = document.querySelector("a[data-copy-link]");
  if (!link || !navigator.clipboard) return;
  var status = link.parentNode.querySelector(".copied");
  link.addEventListener("click", function (event) {
    event.preventDefault();
    navigator.clipboard.writeText(link.href).then(function () {
      status.textContent = link.dataset.copied;
    }, function () {
      status.textContent = link.href;  // no clipboard here: the address to copy by hand
    });
  });
})();
