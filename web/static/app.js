// Live updates for the run page: while the run is in flight, fetch the page's live
// fragment every second and swap it in. No framework, no build step.
(function () {
  "use strict";
  var live = document.getElementById("live");
  if (!live) return;
  var url = live.getAttribute("data-live-url");

  function running() {
    var state = live.querySelector(".live-state");
    return state && state.getAttribute("data-running") === "true";
  }

  function refresh() {
    if (!running()) return;
    fetch(url, { headers: { Accept: "text/html" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        live.innerHTML = html;
        live.removeAttribute("data-stale");
      })
      .catch(function () {
        // Keep the last good view; mark it stale and try again.
        live.setAttribute("data-stale", "true");
      })
      .finally(function () {
        if (running()) setTimeout(refresh, 1000);
      });
  }

  if (running()) setTimeout(refresh, 1000);
})();
