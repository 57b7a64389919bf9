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
