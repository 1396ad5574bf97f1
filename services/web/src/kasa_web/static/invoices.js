// A copy button beside a read-only field; without script the field can still be selected.
(function () {
  "use strict";
  // Loaded again by each boosted page that carries it: arm once.
  if (window.kasaInvoices) { window.kasaInvoices(document); return; }
  function arm(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      if (button.dataset.armed) return;
      button.dataset.armed = "1";
      button.addEventListener("click", function () {
        var field = document.getElementById(button.getAttribute("data-copy"));
        if (!field) return;
        field.select();
        navigator.clipboard.writeText(field.value).then(function () {
          var label = button.textContent;
          button.textContent = button.getAttribute("data-copied") || label;
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }
  window.kasaInvoices = arm;
  if (document.readyState !== "loading") arm(document);
  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:load", function (event) { arm(event.target); });
})();
