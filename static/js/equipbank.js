// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Destructive actions: forms with data-confirm ask before submitting.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
  // Forms are submitted once: a second click while the first is on its way does nothing.
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }
    var form = event.target;
    if (form.dataset.submitted === "1") { event.preventDefault(); return; }
    form.dataset.submitted = "1";
  });
})();
