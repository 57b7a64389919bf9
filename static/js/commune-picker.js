// Postal code -> commune select: as soon as five digits are typed, the select offers the
// communes of that postal code, chosen when there is only one, never guessed between several.
// Works on any form with data-commune-picker="<url>" on the postal input and
// data-commune-select on the select of the same form; a [data-commune-status] live region
// beside the input says what was found. Without it (no JavaScript, a failed look-up) the
// server fills the select from the postal code when the form comes back.
(function () {
  "use strict";
  if (window.communePickerStarted) { return; } // one pair per form, maybe several forms a page
  window.communePickerStarted = true;
  function option(value, text) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = text;
    return element;
  }
  function fill(select, communes, previous) {
    select.innerHTML = "";
    if (communes.length !== 1) {
      select.appendChild(option("", communes.length ? "Choisissez la commune…" : "Aucune commune pour ce code postal"));
    }
    communes.forEach(function (commune) {
      var element = option(commune.code, commune.name);
      if (commune.code === previous) { element.selected = true; }
      select.appendChild(element);
    });
  }
  function said(communes, code) {
    if (!communes.length) { return "Aucune commune pour le code postal " + code + "."; }
    if (communes.length === 1) { return "Commune : " + communes[0].name + "."; }
    return communes.length + " communes pour le code postal " + code + " : choisissez-la dans la liste.";
  }
  document.querySelectorAll("input[data-commune-picker]").forEach(function (input) {
    var select = input.form && input.form.querySelector("select[data-commune-select]");
    if (!select) { return; }
    var field = input.closest(".field");
    var status = field && field.querySelector("[data-commune-status]");
    var asked = input.value.trim();
    var latest = 0;
    function lookUp() {
      var code = input.value.trim();
      if (!/^\d{5}$/.test(code) || code === asked) { return; }
      asked = code;
      var mine = ++latest;
      var previous = select.value;
      fetch(input.dataset.communePicker + "?postal_code=" + encodeURIComponent(code), {
        headers: { "Accept": "application/json" }, credentials: "same-origin"
      })
        .then(function (response) {
          if (!response.ok) { throw new Error(response.status); }
          return response.json();
        })
        .then(function (communes) {
          if (mine !== latest) { return; } // a later postal code was typed meanwhile
          fill(select, communes, previous);
          if (status) { status.textContent = said(communes, code); }
        })
        .catch(function () {
          asked = ""; // try again on the next keystroke; the server checks the choice anyway
        });
    }
    input.addEventListener("input", lookUp);
    input.addEventListener("change", lookUp);
  });
})();
