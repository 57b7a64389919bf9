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
  // Buttons with data-copy="<selector>" copy that element's text. The Clipboard API exists
  // only over HTTPS or on localhost; on a LAN in plain HTTP the text is selected and copied
  // the older way.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.querySelector(button.dataset.copy);
      if (!source) { return; }
      var done = function () { button.textContent = "Copié ✓"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent.trim()).then(done);
        return;
      }
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      if (document.execCommand("copy")) { done(); }
    });
  });
  // A checkbox with data-check-all="<name>" checks or unchecks every checkbox of that name.
  document.querySelectorAll("[data-check-all]").forEach(function (master) {
    master.addEventListener("change", function () {
      var boxes = master.form.querySelectorAll('input[type=checkbox][name="' + master.dataset.checkAll + '"]');
      boxes.forEach(function (box) { box.checked = master.checked; });
    });
  });
  // A form that came back with errors: its summary lists them in the page's order, takes
  // the focus (a screen reader reads it out), and each link takes the person to its field.
  function fieldOf(link) {
    return link && link.hash ? document.getElementById(decodeURIComponent(link.hash.slice(1))) : null;
  }
  document.querySelectorAll("[data-error-summary]").forEach(function (summary) {
    var list = summary.querySelector("ul");
    if (!list) { return; }
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) {
      var x = fieldOf(a.querySelector("a")), y = fieldOf(b.querySelector("a"));
      if (!x || !y) { return (x ? 1 : 0) - (y ? 1 : 0); } // the whole form's errors first
      return x.compareDocumentPosition(y) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
    items.forEach(function (item) { list.appendChild(item); });
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      var field = fieldOf(link);
      if (!field) { return; }
      event.preventDefault();
      var label = field.id && document.querySelector('label[for="' + field.id + '"]');
      (label || field).scrollIntoView({ block: "center" });
      field.focus({ preventScroll: true });
    });
  });
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
  // A table (or a chart) wider than the screen scrolls inside its frame: the frame then
  // takes the keyboard focus, so the arrow keys scroll it, and is named as a region.
  function frameName(frame) {
    var caption = frame.querySelector("caption, figcaption");
    var heading = frame.previousElementSibling;
    while (heading && !/^H[1-6]$/.test(heading.tagName)) { heading = heading.previousElementSibling; }
    var name = (caption || heading || {}).textContent || "";
    return name.trim() || (frame.tagName === "FIGURE" ? "Graphique" : "Tableau");
  }
  function markScrollingFrames() {
    document.querySelectorAll(".table-wrap, figure.chart").forEach(function (frame) {
      if (frame.scrollWidth > frame.clientWidth) {
        frame.tabIndex = 0;
        frame.setAttribute("role", "region");
        frame.setAttribute("aria-label", frameName(frame) + " (défile horizontalement)");
      } else if (frame.hasAttribute("tabindex")) {
        frame.removeAttribute("tabindex");
        frame.removeAttribute("role");
        frame.removeAttribute("aria-label");
      }
    });
  }
  markScrollingFrames();
  window.addEventListener("resize", markScrollingFrames);
  // Blocks with data-show-when-kind="<code>" are shown only when the form's kind is that code.
  document.querySelectorAll("[data-show-when-kind]").forEach(function (block) {
    var form = block.closest("form");
    var select = form && form.elements.kind;
    if (!select) { return; }
    function toggle() { block.hidden = select.value !== block.dataset.showWhenKind; }
    select.addEventListener("change", toggle);
    toggle();
  });
})();
// The outcome form: the session's content is asked only when the appointment took place.
(function () {
  "use strict";
  document.querySelectorAll("form[data-outcome]").forEach(function (form) {
    var block = form.querySelector("[data-when-done]");
    function toggle() {
      var checked = form.querySelector('input[name="status"]:checked');
      block.hidden = !checked || checked.value !== "done";
    }
    form.addEventListener("change", toggle);
    toggle();
  });
})();
