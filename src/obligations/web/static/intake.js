// The bulk intake's waiting page: while the server reads the uploaded files, the progress
// bar and the count follow its status (polled every 1.5 s); once the proposals are ready, or
// the reading failed, the page opens them (or the server's message). Without JavaScript the
// page refreshes itself every 3 s.
"use strict";

(function () {
  var section = document.getElementById("reading");
  if (!section || !window.fetch) {
    return;
  }
  var bar = document.getElementById("reading-progress");
  var count = document.getElementById("reading-count");

  function poll() {
    fetch(section.dataset.status, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (!state || state.ready || state.error) {
          window.location.assign(section.dataset.next);
          return;
        }
        bar.max = Math.max(1, state.total);
        bar.value = state.done;
        bar.textContent = state.done + "/" + state.total;
        count.textContent = "已读取 " + state.done + " / " + state.total + " 个文件";
        setTimeout(poll, 1500);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }

  setTimeout(poll, 1000);
})();
