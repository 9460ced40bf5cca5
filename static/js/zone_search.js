// The campaign form's time zone: a search box above the list narrows it to the zones whose
// name contains what is typed ("rome", "new york"), keeping the chosen one. Without
// JavaScript the list is a plain select (type-ahead by its first letters).
(function () {
  "use strict";
  document.querySelectorAll("select[data-zone-select]").forEach(function (select) {
    var all = Array.prototype.map.call(select.options, function (option) {
      return { value: option.value, label: option.textContent };
    });
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Search time zones (e.g. rome, new york)";
    search.className = "zone-search";
    search.setAttribute("aria-label", "Search time zones");
    search.setAttribute("data-zone-search", "");
    select.parentNode.insertBefore(search, select);
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().replace(/_/g, " ").trim();
      var chosen = select.value;
      select.textContent = "";
      all.forEach(function (zone) {
        if (zone.value === chosen || zone.label.toLowerCase().indexOf(words) !== -1) {
          var option = new Option(zone.label, zone.value, false, zone.value === chosen);
          select.add(option);
        }
      });
      if (words && select.options.length > 1) {
        select.size = Math.min(select.options.length, 8);
      } else {
        select.removeAttribute("size");
      }
    });
  });
})();
