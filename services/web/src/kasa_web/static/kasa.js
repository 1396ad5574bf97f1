// Kasa's few lines of script. Pages work without it; it adds the theme toggle without a
// reload, ticking timers, and live events: each event from the gateway's WebSocket is fired
// on <body> as `kasa:<event type>`, so a fragment refreshes itself with
// hx-trigger="kasa:ledger.payment.matched from:body" (event types carry no version).
(function () {
  "use strict";

  function setTheme(theme) {
    document.documentElement.setAttribute("data-theme", theme);
    document.cookie = "kasa_theme=" + theme + "; path=/; max-age=31536000; samesite=lax";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("theme-form")) return;
    event.preventDefault();
    event.stopPropagation();
    var current = document.documentElement.getAttribute("data-theme") ||
      (window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    var next = current === "dark" ? "light" : "dark";
    setTheme(next);
    document.querySelectorAll("[data-theme-toggle]").forEach(function (button) {
      button.setAttribute("aria-label", button.getAttribute(next === "dark" ? "data-label-light" : "data-label-dark"));
    });
  }, true);

  function tick() {
    document.querySelectorAll("[data-started-at]").forEach(function (clock) {
      var started = Date.parse(clock.getAttribute("data-started-at"));
      if (isNaN(started)) return;
      var seconds = Math.max(0, Math.floor((Date.now() - started) / 1000));
      var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
      clock.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    });
  }
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);

  var socket = null, lastEvent = null, retry = 1000;
  function connect() {
    var path = document.body && document.body.getAttribute("data-live");
    if (!path || socket) return;
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + location.host + path + (lastEvent ? "?after=" + encodeURIComponent(lastEvent) : "");
    socket = new WebSocket(url);
    socket.onmessage = function (message) {
      var data;
      try { data = JSON.parse(message.data); } catch (e) { return; }
      if (data.type === "ready") { retry = 1000; document.body.setAttribute("data-live-ready", "true"); }
      if (data.type === "event") {
        lastEvent = data.event_id;
        document.body.dispatchEvent(new CustomEvent("kasa:" + data.event_type, { detail: data }));
        document.body.dispatchEvent(new CustomEvent("kasa:event", { detail: data }));
      }
      if (data.type === "resync") document.body.dispatchEvent(new CustomEvent("kasa:resync"));
    };
    socket.onclose = function (event) {
      socket = null;
      document.body && document.body.removeAttribute("data-live-ready");
      if (event.code === 4401) return;  // signed out: no point in retrying
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  document.addEventListener("DOMContentLoaded", connect);
  document.addEventListener("htmx:load", function () { if (!socket) connect(); tick(); });
})();
