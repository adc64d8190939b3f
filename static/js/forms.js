// After a failed submit, move the focus to the error summary so that keyboard and screen-reader
// users land on what to fix (the page would otherwise keep the focus at the top).
(function () {
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    summary.scrollIntoView({ block: "start" });
  }
})();
