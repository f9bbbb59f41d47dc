/* A mark for each verdict besides its colour, so an answer reads in greyscale and for colour-blind people:
   Snog a heart, Marry a ring, Avoid a no-entry sign. Inline SVG (no emoji font needed), decorative:
   the word next to it carries the meaning. Marks.icon("snog") -> <svg class="mark mark-snog">. */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var SHAPES = {
    snog: [["path", { d: "M12 21.35l-1.45-1.32C5.4 15.36 2 12.28 2 8.5 2 5.42 4.42 3 7.5 3c1.74 0 3.41.81 4.5 2.09C13.09 3.81 14.76 3 16.5 3 19.58 3 22 5.42 22 8.5c0 3.78-3.4 6.86-8.55 11.54L12 21.35z" }]],
    marry: [["circle", { cx: "12", cy: "14.5", r: "6.5", fill: "none", "stroke-width": "2.6" }],
            ["path", { d: "M8.5 2.5h7l2 2.5-5.5 4-5.5-4z" }]],
    avoid: [["circle", { cx: "12", cy: "12", r: "9", fill: "none", "stroke-width": "2.6" }],
            ["path", { d: "M5.6 5.6l12.8 12.8", fill: "none", "stroke-width": "2.6" }]],
  };

  function icon(verdict) {
    var shapes = SHAPES[verdict];
    if (!shapes) return null;
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "mark mark-" + verdict);
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("fill", "currentColor");
    svg.setAttribute("stroke", "currentColor");
    svg.setAttribute("stroke-width", "0");
    shapes.forEach(function (shape) {
      var node = document.createElementNS(NS, shape[0]);
      Object.keys(shape[1]).forEach(function (k) { node.setAttribute(k, shape[1][k]); });
      svg.appendChild(node);
    });
    return svg;
  }

  window.Marks = { icon: icon, VERDICTS: ["snog", "marry", "avoid"] };
})();
