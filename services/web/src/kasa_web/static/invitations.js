// The invitation link carries its token after "#": keep it while the person signs in or signs
// up, then put it into the form. It never travels to a server in a URL.
(function () {
  "use strict";
  const KEY = "kasa.invitation";
  function fill() {
    const match = /(?:^|[#&])token=([\w-]+)/.exec(window.location.hash);
    if (match) {
      window.sessionStorage.setItem(KEY, match[1]);
      window.history.replaceState(null, "", window.location.pathname);
    }
    const field = document.getElementById("f-token");
    const token = window.sessionStorage.getItem(KEY);
    if (field && token && !field.value) field.value = token;
  }
  document.addEventListener("DOMContentLoaded", fill);
  document.addEventListener("htmx:afterSettle", fill);
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-invitation-form]")) window.sessionStorage.removeItem(KEY);
  });
})();
