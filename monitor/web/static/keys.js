// Keyboard shortcuts for the review workspace. Everything works without this file: it only
// presses the buttons and follows the links that are already on the page.
(function () {
  "use strict";
  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  function click(id) {
    var el = document.getElementById(id);
    if (el) { el.click(); return true; }
    return false;
  }
  var rows = [];
  var current = -1;
  function select(i) {
    if (!rows.length) { return; }
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, j) { r.classList.toggle("selected", j === current); });
    rows[current].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("DOMContentLoaded", function () {
    rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tr.row"));
  });
  document.addEventListener("keydown", function (e) {
    if (typing(e) || e.ctrlKey || e.metaKey || e.altKey) { return; }
    var handled = false;
    if (document.getElementById("review-form")) {
      if (e.key === "c") { handled = click("confirm"); }
      else if (e.key === "d") { handled = click("dismiss"); }
    }
    if (e.key === "n") {
      var next = document.getElementById("next-change");
      if (next) { window.location.href = next.href; handled = true; }
    } else if (e.key === "u") {
      handled = click("back");
    } else if (rows.length) {
      if (e.key === "j") { select(current + 1); handled = true; }
      else if (e.key === "k") { select(current - 1); handled = true; }
      else if (e.key === "Enter" && current >= 0) {
        window.location.href = rows[current].getAttribute("data-href"); handled = true;
      } else if (e.key === "x" && current >= 0) {
        var box = rows[current].querySelector("input[type=checkbox]");
        if (box) { box.checked = !box.checked; handled = true; }
      }
    }
    if (handled) { e.preventDefault(); }
  });
}());
