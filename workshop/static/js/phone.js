/* Phone screen: shows the current poll, sends votes, highlights the participant's choice. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var pollBox = document.getElementById("poll");
  var status = document.getElementById("vote-status");
  var resultsBox = document.getElementById("results");
  var el = Live.el;
  var current = null;
  var mine = null;
  var draft = null; // classic-poll picks not sent yet
  var socket = Live.connect("/live", { code: app.dataset.code, role: "phone" });

  function say(text, bad) {
    status.textContent = text;
    status.className = "status" + (bad ? " bad" : "");
  }

  function vote(choice) {
    say("Sending…");
    socket.timeout(8000).emit("vote", { poll_id: current.id, choice: choice }, function (err, ack) {
      if (err) return say("No answer from the server – try again.", true);
      if (!ack.ok) return say(ack.error, true);
      mine = choice;
      draft = null;
      say("Vote received. You can change it while the poll is open.");
      renderPoll();
    });
  }

  function verdictButtons() {
    var group = el("div", { className: "answers", role: "group", "aria-label": "Your answer" });
    current.answers.forEach(function (answer) {
      var chosen = mine === answer;
      var button = el("button", { type: "button", className: "answer answer-" + answer + (chosen ? " chosen" : ""),
        "aria-pressed": chosen ? "true" : "false", "data-key": answer, text: Live.label(current, answer) });
      button.disabled = current.state !== "open";
      button.addEventListener("click", function () { vote(answer); });
      group.appendChild(button);
    });
    return group;
  }

  function classicForm() {
    // Each item gets a different verdict: choosing one takes it away from the item that had it.
    var picks = draft || (Array.isArray(mine) ? mine.slice() : current.options.map(function () { return null; }));
    var form = el("form", { className: "classic" });
    current.options.forEach(function (item, i) {
      var fieldset = el("fieldset", {}, el("legend", { text: item }));
      ["snog", "marry", "avoid"].forEach(function (v) {
        var chosen = picks[i] === v;
        var b = el("button", { type: "button", className: "answer small answer-" + v + (chosen ? " chosen" : ""),
          "aria-pressed": chosen ? "true" : "false", "data-key": i + ":" + v, text: Live.LABELS[v] });
        b.disabled = current.state !== "open";
        b.addEventListener("click", function () {
          picks = picks.map(function (p) { return p === v ? null : p; });
          picks[i] = v;
          draft = picks;
          renderPoll();
        });
        fieldset.appendChild(b);
      });
      form.appendChild(fieldset);
    });
    var submit = el("button", { type: "submit", className: "button primary big", "data-key": "send", text: "Send my verdicts" });
    submit.disabled = current.state !== "open" || picks.indexOf(null) !== -1;
    form.appendChild(submit);
    form.addEventListener("submit", function (e) { e.preventDefault(); vote(picks); });
    return form;
  }

  function renderPoll() {
    // Re-rendering replaces the buttons: keep keyboard focus on the same one (not lost to <body>).
    var active = document.activeElement;
    var key = active && pollBox.contains(active) ? active.getAttribute("data-key") : null;
    renderPollContent();
    var again = key && pollBox.querySelector('[data-key="' + key + '"]');
    if (again) again.focus();
  }

  function renderPollContent() {
    pollBox.textContent = "";
    if (!current) {
      pollBox.appendChild(el("p", { className: "waiting", text: "Waiting for the next poll…" }));
      return;
    }
    pollBox.appendChild(el("h2", { className: "prompt", text: current.prompt }));
    if (current.state === "closed") pollBox.appendChild(el("p", { className: "muted", text: "Voting is closed." }));
    pollBox.appendChild(current.kind === "classic" ? classicForm() : verdictButtons());
    Live.renderResults(resultsBox, current, current.results_visible ? current.results : null);
  }

  socket.on("state", function (state) {
    current = state.poll;
    mine = state.my_vote;
    draft = null;
    say(mine ? "Your vote is in." : "");
    renderPoll();
  });
  socket.on("poll_state", function (poll) {
    if (!current || poll.id !== current.id || poll.round !== current.round) { mine = null; draft = null; }
    if (poll.state === "open" && (!current || poll.id !== current.id)) say("");
    if (poll.results_visible && !(current && current.id === poll.id && current.results_visible)) say("Results are shown below.");
    current = poll;
    renderPoll();
  });
  socket.on("poll_tally", function (tally) {
    // Phones hear a tally up to a second after it was read: never let it roll back a newer state.
    if (!current || tally.id !== current.id || tally.round !== current.round || tally.at < current.at) return;
    current.at = tally.at;
    current.total = tally.total;
    if (tally.results) current.results = tally.results;
    if (current.results_visible) Live.renderResults(resultsBox, current, current.results);
  });
})();
