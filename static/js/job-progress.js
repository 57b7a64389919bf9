// Progress of a background job: polls its status every second, then goes on to the result.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var message = box.querySelector("#job-message");
  function poll() {
    fetch(box.dataset.jobStatus, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state) { message.textContent = "Tâche introuvable ou expirée."; return; }
        bar.value = state.progress;
        if (state.status === "failed") {
          message.textContent = "La tâche a échoué. Réessayez ; si cela recommence, prévenez l'équipe.";
        } else if (state.done) {
          message.textContent = "Terminé.";
          if (box.dataset.jobDone) { window.location.assign(box.dataset.jobDone); }
        } else {
          message.textContent = (state.message || "En cours…") + " (" + state.progress + " %)";
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
