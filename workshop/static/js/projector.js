/* Projector: the prompt, the live count, results (overall and by stance) once revealed. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var pollBox = document.getElementById("poll");
  var countBox = document.getElementById("count");
  var resultsBox = document.getElementById("results");
  var segmentBox = document.getElementById("segment");
  var current = null;
  var socket = Live.connect("/live", { code: app.dataset.code, role: "projector" });

  function renderCount() {
    countBox.textContent = current ? current.total + (current.total === 1 ? " vote" : " votes") : "";
  }

  function render() {
    app.setAttribute("data-poll", current ? current.state : "none"); // CSS gives a highlighted question the stage
    pollBox.textContent = "";
    if (!current) {
      pollBox.appendChild(el("p", { className: "waiting", text: "Waiting for the first poll…" }));
    } else {
      pollBox.appendChild(el("p", { className: "poll-state", text: current.state === "open" ? "Vote now" : "Voting closed" }));
      pollBox.appendChild(el("h2", { className: "prompt", text: current.prompt }));
      if (current.kind !== "verdict") {
        var list = el("ol", { className: "items" });
        current.options.forEach(function (o) { list.appendChild(el("li", { text: o })); });
        pollBox.appendChild(list);
      }
    }
    renderCount();
    Live.renderResults(resultsBox, current || {}, current && current.results_visible ? current.results : null);
  }

  function renderSegment(segment) {
    segmentBox.textContent = segment ? "Now: " + segment.title : "";
  }

  socket.on("state", function (state) { current = state.poll; renderSegment(state.segment); render(); });
  socket.on("poll_state", function (poll) { current = poll; render(); });
  socket.on("segment", renderSegment);
  socket.on("poll_tally", function (tally) {
    if (!current || tally.id !== current.id || tally.round !== current.round || tally.at < current.at) return;
    current.at = tally.at;
    current.total = tally.total;
    current.results_visible = tally.results_visible;
    if (tally.results) {
      current.results = tally.results;
      Live.renderResults(resultsBox, current, current.results);
    }
    renderCount();
  });
})();
