// Intake: choosing a declared line fills category, brand and model; after a refused serial
// the field is selected, so the next scan replaces it.
(function () {
  "use strict";
  var form = document.querySelector("[data-intake]");
  if (!form) { return; }
  var lines = JSON.parse(form.dataset.lines || "[]");
  var byId = {};
  lines.forEach(function (line) { byId[String(line.id)] = line; });
  form.elements.line_id.addEventListener("change", function () {
    var line = byId[this.value];
    if (!line) { return; }
    form.elements.category.value = line.category;
    form.elements.brand.value = line.brand;
    form.elements.model.value = line.model;
    form.elements.serial.focus();
  });
  var serial = form.elements.serial;
  if (serial.getAttribute("aria-invalid") === "true") { serial.select(); }
})();
