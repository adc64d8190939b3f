/* Signature pads (vendored signature_pad by szimek, MIT) and the rotating QR code. No inline
   script: the content security policy forbids it. */
(function () {
  "use strict";
  document.querySelectorAll("[data-signature-pad]").forEach(function (box) {
    var canvas = box.querySelector("canvas");
    var input = box.querySelector("input[type=hidden]");
    var form = box.closest("form");
    var pad = new SignaturePad(canvas, { minWidth: 0.8, maxWidth: 2.6 });
    function resize() {
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var data = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      pad.fromData(data);
    }
    window.addEventListener("resize", resize);
    resize();
    var clear = box.querySelector("[data-clear]");
    if (clear) {
      clear.addEventListener("click", function () { pad.clear(); });
    }
    form.addEventListener("submit", function () {
      input.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  });
  var qr = document.querySelector("[data-qr-refresh]");
  if (qr) {
    var period = parseInt(qr.getAttribute("data-period"), 10) * 1000;
    setInterval(function () {
      fetch(qr.getAttribute("data-qr-refresh"), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (svg) { if (svg) { qr.innerHTML = svg; } });
    }, period);
  }
})();
