/* The import job page: poll the job's JSON status and move the progress bar until it finishes,
   then reload the page to show the result. Served by the app itself; no outside host. */
(function () {
  "use strict";
  var box = document.getElementById("import-job");
  if (!box || box.getAttribute("data-finished") === "1") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var interval = parseInt(box.getAttribute("data-interval") || "1000", 10);
  var text = document.getElementById("import-progress");
  var bar = document.getElementById("import-progress-bar");
  var status = document.getElementById("import-status");

  function show(data) {
    text.textContent = data.processed + "/" + data.total;
    bar.style.width = data.percent + "%";
    bar.setAttribute("aria-valuenow", String(data.percent));
    status.textContent = data.status_label;
    box.setAttribute("data-status", data.status);
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.finished) {
          box.setAttribute("data-finished", "1");
          window.location.reload();
          return;
        }
        window.setTimeout(poll, interval);
      })
      .catch(function () {
        window.setTimeout(poll, interval * 3);
      });
  }

  window.setTimeout(poll, interval);
})();
