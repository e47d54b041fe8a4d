// Runs hub-placements.js under Node with a minimal document of placement elements, against
// a real HTTP server, and prints what became of each element as JSON once all have a state.
// argv: snippet path, hub URL, visitor token, timeout ms, slots (comma-separated)
"use strict";
const fs = require("fs");
const vm = require("vm");
const [snippetPath, hubUrl, token, timeoutMs, slots] = process.argv.slice(2);

function element(slot) {
  const attributes = { "data-hub-placement": slot };
  return {
    innerHTML: "shop default",
    getAttribute: (name) => (name in attributes ? attributes[name] : null),
    setAttribute: (name, value) => { attributes[name] = String(value); },
    attributes,
  };
}

const elements = slots.split(",").map(element);
const document = {
  currentScript: { dataset: { hubUrl, hubToken: token, hubTimeout: timeoutMs } },
  documentElement: { lang: "de-AT" },
  readyState: "complete",
  querySelectorAll: (selector) => (selector === "[data-hub-placement]" ? elements : []),
  addEventListener: () => {},
};
const started = Date.now();
vm.runInNewContext(fs.readFileSync(snippetPath, "utf8"), {
  document, fetch, AbortController, setTimeout, clearTimeout, encodeURIComponent, Error,
});
const poll = setInterval(() => {
  if (elements.every((e) => e.getAttribute("data-hub-state"))) {
    clearInterval(poll);
    console.log(JSON.stringify({
      elapsed_ms: Date.now() - started,
      elements: elements.map((e) => ({ state: e.getAttribute("data-hub-state"), html: e.innerHTML })),
    }));
    process.exit(0);
  }
}, 10);
