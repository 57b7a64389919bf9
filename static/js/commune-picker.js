// Postal code -> commune select: fills the communes of the typed postal code, never guesses
// between several. Works on any form with data-commune-picker="<url>" on the postal input and
// data-commune-select on the select that follows it in the same form.
(function () {
  "use strict";
  function fill(select, communes, previous) {
    select.innerHTML = "";
    if (communes.length !== 1) {
      var prompt = document.createElement("option");
      prompt.value = "";
      prompt.textContent = communes.length ? "Choisissez la commune…" : "Aucune commune pour ce code postal";
      select.appendChild(prompt);
    }
    communes.forEach(function (commune) {
      var option = document.createElement("option");
      option.value = commune.code;
      option.textContent = commune.name;
      if (commune.code === previous) { option.selected = true; }
      select.appendChild(option);
    });
  }
  document.querySelectorAll("input[data-commune-picker]").forEach(function (input) {
    var select = input.form.querySelector("select[data-commune-select]");
    if (!select) { return; }
    input.addEventListener("input", function () {
      var code = input.value.trim();
      if (!/^\d{5}$/.test(code)) { return; }
      var previous = select.value;
      fetch(input.dataset.communePicker + "?postal_code=" + encodeURIComponent(code), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (communes) { fill(select, communes, previous); })
        .catch(function () { /* the server checks the choice anyway */ });
    });
  });
})();
