// The college ZIP download: while the server builds it, the button is disabled and says so.
// Without JavaScript the form is a plain GET and the browser downloads the file as usual.
"use strict";

(function () {
  function fileName(response, fallback) {
    var header = response.headers.get("Content-Disposition") || "";
    var match = /filename\*=UTF-8''([^;]+)/i.exec(header);
    return match ? decodeURIComponent(match[1]) : fallback;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  function start(form, event) {
    if (!window.fetch || !window.URL || !URL.createObjectURL) {
      return; // an old browser: the plain download
    }
    event.preventDefault();
    var button = form.querySelector("button");
    var status = form.querySelector(".status");
    var label = button.textContent;
    button.disabled = true;
    button.textContent = form.dataset.wait;
    form.setAttribute("aria-busy", "true");
    status.textContent = "";
    fetch(form.action, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          // the server's own message page (in Chinese) says what went wrong
          window.location.assign(form.action);
          return null;
        }
        return response.blob().then(function (blob) {
          save(blob, fileName(response, "全院台账.zip"));
        });
      })
      .catch(function () {
        status.textContent = form.dataset.failed;
      })
      .then(function () {
        button.disabled = false;
        button.textContent = label;
        form.removeAttribute("aria-busy");
      });
  }

  document.querySelectorAll("form.college-download").forEach(function (form) {
    form.addEventListener("submit", function (event) { start(form, event); });
  });
})();
