// Follows a catalogue's run under way from its JSON view; reloads the page when it is done,
// so the page shows the run's files, problems and first pages.
(function () {
  var root = document.querySelector("[data-catalogue-progress]");
  if (!root) { return; }
  function refresh() {
    fetch(root.dataset.url, {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var state = data.run;
        if (!state || String(state.run) !== root.dataset.run || !state.open) {
          window.location.reload();
          return;
        }
        root.querySelector("[data-field=status_label]").textContent = state.status_label;
        root.querySelector("[data-field=progress_label]").textContent = state.progress_label;
        var bar = root.querySelector("[data-field=percent]");
        bar.value = state.percent;
        bar.textContent = state.percent + " %";
        window.setTimeout(refresh, root.dataset.refresh * 1000);
      });
  }
  window.setTimeout(refresh, root.dataset.refresh * 1000);
})();
