/* Stacked rows on a phone: each cell of a `table.table-stack` is named after its column
 * (data-label, from the header row), which static/css/app.css shows above the value when the
 * screen is too narrow for the columns. Without this script the table scrolls sideways in its
 * box instead. Roles keep the cells a table's for screen readers once CSS stops laying them out
 * as one. A file rather than an inline script, which the Content-Security-Policy forbids. */
(function () {
  "use strict";

  function labelTables(root) {
    var tables = root.querySelectorAll ? root.querySelectorAll("table.table-stack") : [];
    Array.prototype.forEach.call(tables, function (table) {
      if (!table.tHead || !table.tHead.rows.length) return;
      var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (cell) {
        cell.setAttribute("role", "columnheader");
        return cell.textContent.replace(/\s+/g, " ").trim();
      });
      table.setAttribute("role", "table");
      Array.prototype.forEach.call(table.rows, function (row) {
        row.setAttribute("role", "row");
      });
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          Array.prototype.forEach.call(row.cells, function (cell, index) {
            if (cell.tagName === "TD") cell.setAttribute("role", "cell");
            if (headers[index] && !cell.dataset.label) cell.dataset.label = headers[index];
          });
        });
      });
      table.classList.add("table-stacked"); // only labelled tables stack (app.css)
    });
  }

  labelTables(document);
  // A table that htmx swaps in later is labelled too.
  document.addEventListener("htmx:load", function (event) { labelTables(event.target); });
})();
