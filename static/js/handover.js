// The handover form: the new person's fields are shown only when no existing person is chosen.
(function () {
  "use strict";
  var form = document.querySelector("[data-handover]");
  if (!form) { return; }
  var select = form.elements.beneficiary_id;
  var block = form.querySelector("[data-new-beneficiary]");
  function toggle() { block.hidden = select.value !== ""; }
  select.addEventListener("change", toggle);
  toggle();
})();
// The chosen advisor's booked and free times for the chosen day, fetched again when the
// advisor, the date or the duration changes; a free time's button puts its hour in the form.
// Without JavaScript the form shows that day when it comes back, and the server still warns
// of an overlap.
(function () {
  "use strict";
  var form = document.querySelector("[data-handover]");
  var panel = form && form.querySelector("[data-advisor-day]");
  if (!panel || !window.fetch) { return; }
  var advisor = form.elements.advisor;
  var startsAt = form.elements.starts_at;
  var duration = form.elements.duration_minutes;
  var shown = null;
  var pending = null;

  function enablePicks() {
    panel.querySelectorAll("[data-pick]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        startsAt.value = startsAt.value.slice(0, 10) + "T" + button.dataset.pick;
        startsAt.focus();
      });
    });
  }

  // The fragment's query for what the form says now; null while the advisor or day is missing.
  function currentQuery() {
    var day = (startsAt.value || "").slice(0, 10);
    if (!advisor.value || !/^\d{4}-\d{2}-\d{2}$/.test(day)) { return null; }
    return new URLSearchParams({
      advisor: advisor.value,
      day: day,
      duration_minutes: duration.value || "60"
    }).toString();
  }

  function refresh() {
    var query = currentQuery();
    if (query === null) {
      panel.innerHTML = "";
      shown = null;
      return;
    }
    if (query === shown) { return; }
    if (pending) { pending.abort(); }
    pending = window.AbortController ? new AbortController() : null;
    fetch(panel.dataset.url + "?" + query, {
      credentials: "same-origin",
      signal: pending ? pending.signal : undefined
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        // Our own page's fragment, escaped by the server's templates.
        panel.innerHTML = html;
        shown = query;
        enablePicks();
      })
      .catch(function (error) {
        if (error.name !== "AbortError") { panel.innerHTML = ""; shown = null; }
      });
  }

  [advisor, startsAt, duration].forEach(function (input) {
    input.addEventListener("change", refresh);
  });
  enablePicks();
  if (panel.children.length) { shown = currentQuery(); }  // rendered with the page
})();
