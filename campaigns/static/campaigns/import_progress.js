// Poll the job's status while it runs; reload the page when it is finished.
function start() {
  var box = document.getElementById("import-progress");
  if (!box || !box.dataset.statusUrl) { return; }
  var bar = box.querySelector("[data-import-bar]");
  var done = box.querySelector("[data-import-done]");
  var total = box.querySelector("[data-import-total]");
  var status = box.querySelector("[data-import-status]");
  function poll() {
    fetch(box.dataset.statusUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        if (bar) {
          bar.value = job.percent;
          bar.textContent = job.percent + " %";
          done.textContent = job.processed_rows;
          total.textContent = job.total_rows;
        }
        status.textContent = job.status_label;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}
document.addEventListener("DOMContentLoaded", start);
