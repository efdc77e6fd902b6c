/* A small signature pad: draw on a <canvas data-signature-input="ID">, and on submit the drawing
   goes into the hidden input ID as a PNG data: URL. No outside host, no library. */
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-input]").forEach(function (canvas) {
    var input = document.getElementById(canvas.getAttribute("data-signature-input"));
    var context = canvas.getContext("2d");
    var drawing = false, drawn = false;
    context.lineWidth = 2.2; context.lineCap = "round"; context.strokeStyle = "#111";
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
    }
    canvas.addEventListener("pointerdown", function (event) {
      drawing = true;
      try { canvas.setPointerCapture(event.pointerId); } catch (ignored) { /* a pen lifted already */ }
      var p = point(event); context.beginPath(); context.moveTo(p[0], p[1]);
      event.preventDefault();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      var p = point(event); context.lineTo(p[0], p[1]); context.stroke(); drawn = true;
      event.preventDefault();
    });
    function stop() { drawing = false; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = canvas.parentNode.querySelector("[data-signature-clear]");
    if (clear) clear.addEventListener("click", function () {
      context.clearRect(0, 0, canvas.width, canvas.height); drawn = false; if (input) input.value = "";
    });
    var form = canvas.closest("form");
    if (form && input) form.addEventListener("submit", function () {
      input.value = drawn ? canvas.toDataURL("image/png") : "";
    });
  });
})();
