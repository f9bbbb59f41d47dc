/* The poll form: only the fields of the chosen kind show (items for classic and multiple choice, the range and
   labels for a scale, the limits for open text). Without JavaScript every field shows, each says its kind. */
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  if (!kind) return;
  var options = document.getElementById("options");
  var parts = {
    scale: document.querySelector(".scale-fields"),
    text: document.querySelector(".text-fields"),
    items: options && options.closest(".field"),
    predict: document.getElementById("predict") && document.getElementById("predict").closest(".field"),
  };

  function show() {
    var k = kind.value;
    if (parts.scale) parts.scale.hidden = k !== "scale";
    if (parts.text) parts.text.hidden = k !== "text";
    if (parts.items) parts.items.hidden = k !== "classic" && k !== "choice";
    if (parts.predict) parts.predict.hidden = k !== "verdict";
  }

  kind.addEventListener("change", show);
  show();
})();
