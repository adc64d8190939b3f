// "Copier" buttons: <button data-copy="ID-of-an-input" hidden>. Shown only when JavaScript runs
// (without it the field can still be selected and copied by hand).
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (!field) return;
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    var done = function () {
      button.textContent = "Copié !";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done);
    } else {
      field.select();
      document.execCommand("copy");
      done();
    }
  });
});
