// Optional: the kabupaten/kota list shows only the chosen province's entries (514 are
// too many to scroll on a phone). Without this file the full list is grouped by province
// and the server says which province a mismatched kabupaten/kota belongs to.
(function () {
  Array.prototype.forEach.call(document.querySelectorAll("select[data-narrowed-by]"), function (region) {
    var province = document.getElementById(region.getAttribute("data-narrowed-by"));
    if (!province) return;
    var groups = Array.prototype.slice.call(region.querySelectorAll("optgroup"));
    function narrow() {
      var chosen = province.value, keep = region.value;
      groups.forEach(function (group) {
        var option = group.querySelector("option");
        var fits = !chosen || (option && option.getAttribute("data-province") === chosen);
        if (fits && !group.parentNode) region.appendChild(group);
        if (!fits && group.parentNode) group.parentNode.removeChild(group);
      });
      var still = Array.prototype.some.call(region.options, function (o) { return o.value === keep; });
      region.value = still ? keep : "";
    }
    province.addEventListener("change", narrow);
    narrow();
  });
})();
