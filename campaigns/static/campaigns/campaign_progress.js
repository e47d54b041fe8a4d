// Refreshes a campaign's progress page from its JSON view until the campaign is finished.
(function () {
  var root = document.querySelector("[data-campaign-progress]");
  var finished = ["done", "cancelled"];
  function refresh() {
    fetch(root.dataset.url, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (state) {
        root.querySelector("[data-field=status_label]").textContent = state.status_label;
        var bar = root.querySelector("[data-field=percent]");
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        Object.keys(state.progress).forEach(function (key) {
          var cell = root.querySelector("[data-count=" + key + "]");
          if (cell) { cell.textContent = state.progress[key]; }
        });
        if (state.unsent.length) {
          var body = root.querySelector("[data-unsent] tbody");
          body.replaceChildren.apply(body, state.unsent.map(function (row) {
            var line = document.createElement("tr");
            [row.state_label, row.reason, row.count].forEach(function (value) {
              var cell = document.createElement("td");
              cell.textContent = value;
              line.appendChild(cell);
            });
            return line;
          }));
        }
        if (finished.indexOf(state.status) === -1) {
          window.setTimeout(refresh, root.dataset.refresh * 1000);
        }
      });
  }
  window.setTimeout(refresh, root.dataset.refresh * 1000);
})();
