// Downloads the server takes a while to make (the ledger's PDF and Word files, the evidence
// bundle, the college ZIP): while the file is prepared its link or button says so
// (data-wait, e.g. "正在生成…") and cannot be pressed twice; then the file is saved under the
// server's name. A failure answer opens the server's own message page; a broken connection is
// reported in the element named by data-status. Without JavaScript the link or GET form
// downloads the file as usual.
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

  function target(element) {
    if (element.tagName === "A") {
      return element.href;
    }
    var query = new URLSearchParams(new FormData(element)).toString();
    return element.action + (query ? "?" + query : "");
  }

  // What shows the wait: the link itself, or the form's button.
  function busy(element, on) {
    var shown = element.tagName === "A" ? element : element.querySelector("button");
    if (on) {
      shown.dataset.label = shown.textContent;
      shown.textContent = element.dataset.wait;
      element.setAttribute("aria-busy", "true");
      if (shown.tagName === "BUTTON") {
        shown.disabled = true;
      } else {
        shown.setAttribute("aria-disabled", "true");
      }
    } else {
      shown.textContent = shown.dataset.label;
      element.removeAttribute("aria-busy");
      shown.disabled = false;
      shown.removeAttribute("aria-disabled");
    }
  }

  function start(element, event) {
    if (!window.fetch || !window.URL || !URL.createObjectURL) {
      return; // an old browser: the plain download
    }
    event.preventDefault();
    if (element.getAttribute("aria-busy") === "true") {
      return; // already being prepared
    }
    var url = target(element);
    var status = document.getElementById(element.dataset.status || "");
    if (status) {
      status.textContent = "";
    }
    busy(element, true);
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          // the server's own message page (in Chinese) says what went wrong
          window.location.assign(url);
          return null;
        }
        return response.blob().then(function (blob) {
          save(blob, fileName(response, element.dataset.name || "下载"));
        });
      })
      .catch(function () {
        if (status) {
          status.textContent = element.dataset.failed || "生成失败，请稍后重试。";
        }
      })
      .then(function () { busy(element, false); });
  }

  document.querySelectorAll("a[data-wait]").forEach(function (link) {
    link.addEventListener("click", function (event) { start(link, event); });
  });
  document.querySelectorAll("form[data-wait]").forEach(function (form) {
    form.addEventListener("submit", function (event) { start(form, event); });
  });
})();
