/*
 * Hub placements for shop pages: fills every [data-hub-placement] element with the hub's
 * HTML fragment for this visitor. Fail-open: on a timeout, a network error, any answer but
 * 200 or an empty fragment the shop's own content stays, and the element gets
 * data-hub-state="fallback" ("filled" once the hub's fragment is in).
 *
 * <div data-hub-placement="home.hero">shop default</div>
 * <script src="https://hub/static/webshop/hub-placements.js" data-hub-url="https://hub"
 *   data-hub-token="VISITOR-TOKEN" data-hub-timeout="800" async></script>
 *
 * No dependencies, no build step, no eval: only the hub's own fragment is inserted. A shop
 * with its own Content-Security-Policy allows the hub in script-src, connect-src and img-src.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) return;
  var hubUrl = (script.dataset.hubUrl || "").replace(/\/+$/, "");
  var token = script.dataset.hubToken || "";
  var timeout = parseInt(script.dataset.hubTimeout, 10);
  if (!(timeout > 0)) timeout = 800;
  var locale = document.documentElement.lang || "";

  async function fill(element) {
    var slot = element.getAttribute("data-hub-placement");
    var controller = new AbortController();
    var timer = setTimeout(function () { controller.abort(); }, timeout);
    try {
      var url = hubUrl + "/api/v1/placements/" + encodeURIComponent(slot) +
        "?format=html&locale=" + encodeURIComponent(locale);
      var headers = { Accept: "text/html" };
      if (token) headers["X-Visitor-Token"] = token;
      var response = await fetch(url, {
        mode: "cors", credentials: "omit", headers: headers, signal: controller.signal,
      });
      if (response.status !== 200) throw new Error("hub answered " + response.status);
      var fragment = await response.text();
      if (!fragment.trim()) throw new Error("no placement content");
      element.innerHTML = fragment;
      element.setAttribute("data-hub-state", "filled");
    } catch (error) {
      element.setAttribute("data-hub-state", "fallback");
    } finally {
      clearTimeout(timer);
    }
  }

  function start() {
    document.querySelectorAll("[data-hub-placement]").forEach(function (element) {
      if (hubUrl) fill(element);
      else element.setAttribute("data-hub-state", "fallback");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
