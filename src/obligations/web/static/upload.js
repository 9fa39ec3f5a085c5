// The evidence upload form, when JavaScript runs: files over the size limit are refused before
// anything is sent, the upload shows its progress, and a refusal is shown above the button with
// everything typed and chosen still in the form. Without JavaScript the form posts as usual and
// the server checks the same limit.
"use strict";

(function () {
  function chosenFiles(form) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) { files.push(file); });
    });
    return files;
  }

  function megabytes(size) {
    // rounded up, so that a file just over the limit never reads as the limit itself
    return (Math.ceil((size / 1048576) * 10) / 10).toFixed(1) + " MB";
  }

  function tooLarge(form) {
    var limit = Number(form.dataset.maxBytes);
    var over = chosenFiles(form).filter(function (file) { return file.size > limit; });
    if (!over.length) {
      return "";
    }
    var names = over.map(function (file) {
      return "“" + file.name + "”（" + megabytes(file.size) + "）";
    });
    return "文件" + names.join("、") + "超过单个文件上限 " + form.dataset.maxSize +
      "，未上传任何内容；请压缩或拆分后重新选择。";
  }

  // The message of the server's answer page (the task page with its error, or an error page).
  function messageOf(html) {
    var page = new DOMParser().parseFromString(html, "text/html");
    var error = page.querySelector("main .error");
    return error ? error.textContent.trim() : "";
  }

  function finish(form, button, progress) {
    button.disabled = false;
    form.removeAttribute("aria-busy");
    progress.hidden = true;
  }

  function send(form, event) {
    var status = form.querySelector(".status");
    var progress = form.querySelector(".upload-progress");
    var button = form.querySelector("button[type=submit]");
    var refused = tooLarge(form);
    status.textContent = refused;
    status.classList.toggle("error", Boolean(refused));
    if (refused) {
      event.preventDefault();
      return;
    }
    if (!window.XMLHttpRequest || !window.FormData || !window.DOMParser) {
      return; // an old browser: the plain form post
    }
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    progress.hidden = false;
    progress.value = 0;
    status.textContent = "正在上传…";
    request.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.round((e.loaded / e.total) * 100);
        progress.value = percent;
        progress.textContent = percent + "%";
        status.textContent = percent < 100 ? "正在上传… " + percent + "%" : "正在保存…";
      }
    });
    request.addEventListener("load", function () {
      if (request.status >= 200 && request.status < 300) {
        // the server answered with a redirect to the task page, which says "材料已登记"
        window.location.assign(request.responseURL || form.action.replace(/\/evidence$/, ""));
        return;
      }
      finish(form, button, progress);
      status.classList.add("error");
      status.textContent = messageOf(request.responseText) || "上传未成功（" + request.status + "），请重试。";
    });
    request.addEventListener("error", function () {
      finish(form, button, progress);
      status.classList.add("error");
      status.textContent = "上传中断，请检查网络后重试；已选择的文件和填写的内容都还在。";
    });
    request.send(new FormData(form));
  }

  document.querySelectorAll("form#upload-form").forEach(function (form) {
    form.addEventListener("submit", function (event) { send(form, event); });
  });
})();
