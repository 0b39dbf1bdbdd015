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
// Optional: the library name offers the libraries already registered in the chosen
// kabupaten/kota, and picking one fills its village and kecamatan: one library, one entry.
// Without this file the page lists them to pick after the form comes back.
(function () {
  var list = document.getElementById("library-names"), region = document.getElementById("region");
  var name = document.getElementById("library_name");
  if (!list || !region || !name || !window.fetch) return;
  function load() {
    var asked = region.value;
    if (!asked) return (list.innerHTML = "");
    fetch(list.getAttribute("data-url") + "?regency=" + encodeURIComponent(asked))
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (answer) {
        if (asked !== region.value) return;
        list.innerHTML = "";
        (answer.libraries || []).forEach(function (library) {
          var option = document.createElement("option");
          option.value = library.name;
          option.textContent = library.village;
          option.setAttribute("data-village", library.village);
          option.setAttribute("data-district", library.district);
          list.appendChild(option);
        });
      })
      .catch(function () {});
  }
  region.addEventListener("change", load);
  if (!list.options.length) load();
  name.addEventListener("input", function () {
    Array.prototype.forEach.call(list.options, function (option) {
      if (option.value !== name.value) return;
      ["village", "district"].forEach(function (id) {
        var input = document.getElementById(id);
        if (input && !input.value) input.value = option.getAttribute("data-" + id);
      });
    });
  });
})();
