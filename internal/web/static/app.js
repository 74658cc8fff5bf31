// f2fpay pages: the cashier's countdown and live status, and the console's confirmations.
// Loaded with defer; no inline script anywhere, so the CSP can forbid it.
"use strict";
(function () {
  var page = document.body.getAttribute("data-page");

  function cashier() {
    var root = document.getElementById("cashier");
    var countdown = document.getElementById("countdown");
    var token = root.getAttribute("data-token");
    var deadline = performance.now() + 1000 * Number(root.getAttribute("data-expires-in"));
    var source = null, timer = null;

    function show(state) {
      root.setAttribute("data-state", state);
      ["pending", "paid", "expired", "closed", "refunded"].forEach(function (s) {
        document.getElementById("state-" + s).hidden = s !== state;
      });
      if (state !== "pending") {
        if (source) { source.close(); source = null; }
        if (timer) { clearInterval(timer); timer = null; }
      }
    }
    function tick() {
      var left = Math.max(0, Math.round((deadline - performance.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      countdown.textContent = (m < 10 ? "0" : "") + m + ":" + (s < 10 ? "0" : "") + s;
      if (left === 0) { show("expired"); }
    }
    if (root.getAttribute("data-state") !== "pending") { return; }
    tick();
    timer = setInterval(tick, 1000);
    if (!window.EventSource) { return; }
    source = new EventSource("/pay/" + encodeURIComponent(token) + "/status");
    source.onmessage = function (e) {
      var v;
      try { v = JSON.parse(e.data); } catch (err) { return; }
      deadline = performance.now() + 1000 * v.expires_in;
      if (v.state !== root.getAttribute("data-state")) { show(v.state); }
    };
  }

  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  }

  if (page === "cashier") { cashier(); }
  if (page === "admin") { confirmForms(); }
})();
