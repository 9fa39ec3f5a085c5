// "复制地址": copies the value of the field named by data-copy. Without JavaScript the button
// stays hidden and the address can be selected in its field.
"use strict";

(function () {
  function selectAndCopy(field) {
    field.focus();
    field.select();
    try {
      return document.execCommand("copy"); // the way left on a site served over plain http
    } catch (e) {
      return false;
    }
  }

  document.querySelectorAll("button.copy[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.dataset.copy);
    var status = document.querySelector(".copy-status");
    if (!field || !status) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      function copied(ok) {
        status.textContent = ok ? button.dataset.done : "无法自动复制，请长按或选中地址后手动复制。";
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(
          function () { copied(true); },
          function () { copied(selectAndCopy(field)); }
        );
      } else {
        copied(selectAndCopy(field));
      }
    });
  });
})();
