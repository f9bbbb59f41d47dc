/* Scale polls: the phone's input (a slider with the labels and a button per point, arrow keys on both) and
   the results every screen draws (a histogram, median and mean, each stance's median and the gap between
   the sides). Numbers and words carry the meaning; colour only repeats them. */
(function () {
  "use strict";
  var el = Live.el;

  function points(poll) {
    var out = [];
    for (var v = poll.scale.min; v <= poll.scale.max; v++) out.push(v);
    return out;
  }

  function middle(poll) {
    return Math.round((poll.scale.min + poll.scale.max) / 2);
  }

  function named(poll, value) {
    // "7", or "10 (Marry)" at a labelled point: what a screen reader says for the slider and the buttons.
    var s = poll.scale;
    var word = value === s.min ? s.low : value === s.max ? s.high : value === middle(poll) ? s.mid : "";
    return word ? value + " (" + word + ")" : String(value);
  }

  function num(value) {
    // 6.5 stays 6.5; a whole number has no decimals.
    return value === null || value === undefined ? "–" : String(Math.round(value * 10) / 10);
  }

  function ends(poll) {
    var s = poll.scale;
    return el("p", { className: "scale-ends", "aria-hidden": "true" },
      el("span", { className: "scale-end scale-low", text: s.min + (s.low ? " " + s.low : "") }),
      s.mid ? el("span", { className: "scale-end scale-mid", text: middle(poll) + " " + s.mid }) : el("span", {}),
      el("span", { className: "scale-end scale-high", text: s.max + (s.high ? " " + s.high : "") }));
  }

  // --- the phone ----------------------------------------------------------------------------------------

  function input(poll, mine, send) {
    // send(point as a string). The slider sends once it rests (a drag or arrow presses make one vote).
    var open = poll.state === "open";
    var chosen = mine === null || mine === undefined ? null : Number(mine);
    var box = el("div", { className: "scale-input" });
    var value = el("output", { className: "scale-value", id: "scale-value", "for": "scale-slider",
      text: chosen === null ? "–" : named(poll, chosen) });
    box.appendChild(el("p", { className: "scale-now" }, el("label", { "for": "scale-slider", text: "Your answer: " }), value));
    var slider = el("input", { type: "range", id: "scale-slider", className: "scale-slider", "data-key": "scale-slider",
      min: String(poll.scale.min), max: String(poll.scale.max), step: "1",
      value: String(chosen === null ? middle(poll) : chosen) });
    slider.setAttribute("aria-valuetext", chosen === null ? "not answered yet" : named(poll, chosen));
    slider.disabled = !open;
    var resting = null;
    slider.addEventListener("input", function () {
      var v = Number(slider.value);
      value.textContent = named(poll, v);
      slider.setAttribute("aria-valuetext", named(poll, v));
      mark(box, v);
    });
    slider.addEventListener("change", function () {
      window.clearTimeout(resting);
      resting = window.setTimeout(function () { send(String(slider.value)); }, 450);
    });
    box.appendChild(slider);
    box.appendChild(ends(poll));
    var group = el("div", { className: "scale-points", role: "group", "aria-label": "Or tap a point" });
    points(poll).forEach(function (v) {
      var b = el("button", { type: "button", className: "scale-point" + (v === chosen ? " chosen" : ""),
        "data-key": "point:" + v, "data-point": String(v), "aria-pressed": v === chosen ? "true" : "false",
        "aria-label": named(poll, v), text: String(v) });
      b.disabled = !open;
      b.addEventListener("click", function () { send(String(v)); });
      group.appendChild(b);
    });
    group.addEventListener("keydown", function (e) {
      // Arrows move along the points (Home/End to the ends); Enter or Space sends the focused one.
      var all = Array.prototype.slice.call(group.querySelectorAll("button"));
      var at = all.indexOf(document.activeElement);
      var to = { ArrowLeft: at - 1, ArrowDown: at - 1, ArrowRight: at + 1, ArrowUp: at + 1, Home: 0, End: all.length - 1 }[e.key];
      if (at === -1 || to === undefined) return;
      e.preventDefault();
      all[Math.max(0, Math.min(all.length - 1, to))].focus();
    });
    box.appendChild(group);
    return box;
  }

  function mark(box, v) {
    box.querySelectorAll(".scale-point").forEach(function (b) {
      b.classList.toggle("pending", Number(b.getAttribute("data-point")) === v && !b.classList.contains("chosen"));
    });
  }

  // --- results ------------------------------------------------------------------------------------------

  function histogram(poll, results) {
    var peak = Math.max.apply(null, points(poll).map(function (v) { return results.counts[String(v)] || 0; }).concat([1]));
    var median = results.median;
    var list = el("ol", { className: "scale-histogram", "aria-label": "Votes per point" });
    points(poll).forEach(function (v) {
      var n = results.counts[String(v)] || 0;
      var at = median !== null && median !== undefined && Math.round(median) === v;
      var fill = el("span", { className: "scale-fill" });
      fill.style.height = Math.round((100 * n) / peak) + "%";
      list.appendChild(el("li", { className: "scale-col" + (at ? " at-median" : ""), "data-point": String(v) },
        el("span", { className: "scale-count", text: String(n) }),
        el("span", { className: "scale-bar" }, fill),
        el("span", { className: "scale-tick", text: String(v) }),
        el("span", { className: "visually-hidden", text: " " + Live.plural(n, "vote") + (at ? ", the median" : "") })));
    });
    return list;
  }

  function stanceRows(poll, results) {
    var rows = el("ul", { className: "scale-stances" });
    var span = poll.scale.max - poll.scale.min || 1;
    var hidden = 0;
    (results.by_stance || []).forEach(function (group) {
      if (group.hidden) { hidden++; return; }
      var dot = el("span", { className: "scale-dot", "aria-hidden": "true", text: num(group.median) });
      dot.style.left = ((100 * ((group.median === null ? poll.scale.min : group.median) - poll.scale.min)) / span) + "%";
      rows.appendChild(el("li", { className: "scale-stance", "data-stance": group.stance },
        el("span", { className: "scale-stance-name", text: group.stance + " (" + group.total + ")" }),
        el("span", { className: "scale-track" }, dot),
        el("span", { className: "scale-stance-median", text: "median " + num(group.median) })));
    });
    return { list: rows, hidden: hidden };
  }

  function gapLine(results) {
    var gap = results.gap;
    if (!gap) return null;
    var by = {};
    results.by_stance.forEach(function (g) { by[g.stance] = g; });
    return el("p", { className: "scale-gap" },
      el("span", { text: gap.low + " " + num(by[gap.low].median) }), document.createTextNode(" · "),
      el("span", { text: gap.high + " " + num(by[gap.high].median) }), document.createTextNode(" · "),
      el("strong", { text: "gap " + num(gap.value) }));
  }

  function results(poll, data) {
    var box = el("div", { className: "scale-results" });
    box.appendChild(el("p", { className: "scale-summary" },
      el("strong", { text: "Median " + num(data.median) }), document.createTextNode(" · "),
      el("span", { text: "mean " + num(data.mean) }), document.createTextNode(" · "),
      el("span", { text: Live.plural(data.total, "vote") })));
    box.appendChild(histogram(poll, data));
    box.appendChild(ends(poll));
    var split = stanceRows(poll, data);
    if (split.list.children.length) box.appendChild(split.list);
    var gap = gapLine(data);
    if (gap) box.appendChild(gap);
    if (split.hidden) {
      box.appendChild(el("p", { className: "muted split-note", text: split.hidden + " group" + (split.hidden > 1 ? "s" : "") +
        " hidden so no one's vote can be worked out (groups under " + data.min_group + " votes)." }));
    }
    return box;
  }

  function render(container, poll, data) {
    // Rebuilt on each tally (a few elements): returns true when its shape changed, so the projector fits again.
    var before = container.getAttribute("data-shape");
    var shape = poll.id + ":" + poll.round + ":" + (data.by_stance || []).map(function (g) {
      return g.stance + (g.hidden ? "-" : "+");
    }).join("/") + ":" + !!data.gap;
    container.textContent = "";
    container.setAttribute("data-shape", shape);
    container.setAttribute("data-poll", poll.id + ":" + poll.round);
    container.appendChild(results(poll, data));
    return before !== shape;
  }

  function legend(poll) {
    // The projector while voting: what the ends (and the middle) of the scale mean.
    var s = poll.scale;
    var list = el("ul", { className: "items scale-legend" });
    [[s.min, s.low], [middle(poll), s.mid], [s.max, s.high]].forEach(function (p) {
      if (p[1]) list.appendChild(el("li", {}, el("strong", { text: String(p[0]) }), el("span", { text: "= " + p[1] })));
    });
    list.appendChild(el("li", { className: "scale-range", text: "Pick a point from " + s.min + " to " + s.max }));
    return list;
  }

  window.Scale = { input: input, render: render, legend: legend, named: named };
})();
