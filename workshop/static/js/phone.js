/* Phone screen: shows the current poll, sends votes, highlights the participant's choice, and tells an
   attendee who is elsewhere (on the question wall, on another tab) that a poll opened. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var pollBox = document.getElementById("poll");
  var status = document.getElementById("vote-status");
  var resultsBox = document.getElementById("results");
  var announcer = document.getElementById("poll-announce");
  var notice = document.getElementById("poll-notice");
  var el = Live.el;
  var VERDICTS = ["snog", "marry", "avoid"];
  var meanings = readMeanings();
  var baseTitle = document.title;
  var current = null;
  var mine = null;
  var draft = null; // classic-poll picks not sent yet
  var offset = 0; // server clock minus ours, in seconds (from each payload's `at`)
  var ticking = null;
  var warned = false; // "10 seconds left" said once per run
  var socket = Live.connect("/live", { code: app.dataset.code, role: "phone" });
  if (window.Predict) Predict.attachPhone(document.getElementById("predict"), document.getElementById("predict-status"));

  function readMeanings() {
    try { return JSON.parse(app.dataset.meanings || "{}") || {}; } catch (e) { return {}; }
  }

  var say = Live.status(status);

  function announce(text) {
    // Emptied first so the same words are announced again for a second poll with the same prompt.
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 50);
  }

  function vote(choice) {
    say("Sending…");
    Live.send(socket, "vote", { poll_id: current.id, choice: choice }, say, function () {
      mine = choice;
      draft = null;
      say("Vote received. You can change it while the poll is open.");
      renderPoll();
    });
  }

  // --- the poll -----------------------------------------------------------------------------------------

  function answerButton(key, text, verdict, chosen, small) {
    var button = el("button", { type: "button", "aria-pressed": chosen ? "true" : "false", "data-key": key,
      className: "answer" + (small ? " small" : "") + " answer-" + (verdict || key) + (chosen ? " chosen" : "") });
    // A mark besides the colour: the verdict's icon, or the option's letter as on the projector (A, B, C...).
    var mark = verdict && window.Marks ? Marks.icon(verdict) : null;
    if (!verdict && current.kind === "choice") {
      mark = el("span", { className: "mark mark-letter", "aria-hidden": "true", text: String.fromCharCode(65 + Number(key)) });
    }
    if (mark) button.appendChild(mark);
    button.appendChild(el("span", { text: text }));
    if (verdict && meanings[verdict] && !small) button.setAttribute("aria-describedby", "meaning-" + verdict);
    button.disabled = current.state !== "open";
    return button;
  }

  function meaningsLine() {
    // One line under the buttons: what each verdict means in this workshop (set in the planner).
    var line = el("p", { className: "meanings", id: "meanings" });
    VERDICTS.forEach(function (v) {
      if (!meanings[v]) return;
      line.appendChild(el("span", { className: "meaning meaning-" + v, id: "meaning-" + v },
        window.Marks ? Marks.icon(v) : null, el("strong", { text: Live.LABELS[v] + ":" }),
        document.createTextNode(" " + meanings[v])));
    });
    return line.children.length ? line : null;
  }

  function verdictButtons() {
    var box = el("div", {});
    var group = el("div", { className: "answers", role: "group", "aria-label": "Your answer" });
    current.answers.forEach(function (answer) {
      var verdict = current.kind === "verdict" ? answer : null;
      var button = answerButton(answer, Live.label(current, answer), verdict, mine === answer, false);
      button.addEventListener("click", function () { vote(answer); });
      group.appendChild(button);
    });
    box.appendChild(group);
    if (current.kind === "verdict") {
      var line = meaningsLine();
      if (line) box.appendChild(line);
    }
    return box;
  }

  function sendReason(picks) {
    var missing = picks.filter(function (p) { return p === null; }).length;
    if (current.state !== "open") return "Voting is closed.";
    if (missing) return "Pick " + missing + " more to send: every item needs its own verdict.";
    return "Ready: send your verdicts.";
  }

  function classicForm() {
    // Each item gets a different verdict: choosing one takes it away from the item that had it.
    var picks = draft || (Array.isArray(mine) ? mine.slice() : current.options.map(function () { return null; }));
    var form = el("form", { className: "classic" });
    form.appendChild(el("p", { className: "classic-how", id: "classic-how",
      text: "Give each item a different verdict: one Snog, one Marry, one Avoid." }));
    current.options.forEach(function (item, i) {
      var fieldset = el("fieldset", {}, el("legend", { text: item }));
      VERDICTS.forEach(function (v) {
        var b = answerButton(i + ":" + v, Live.LABELS[v], v, picks[i] === v, true);
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
    var line = meaningsLine();
    if (line) form.appendChild(line);
    // Why "Send" is disabled, next to it and as its description.
    form.appendChild(el("p", { className: "send-reason", id: "send-reason", text: sendReason(picks) }));
    var submit = el("button", { type: "submit", className: "button primary big", "data-key": "send",
      "aria-describedby": "send-reason", text: "Send my verdicts" });
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
    if (again) again.focus({ preventScroll: true }); // same place: never pull a reader back from the wall
  }

  function renderPollContent() {
    pollBox.textContent = "";
    if (!current) {
      pollBox.appendChild(el("p", { className: "waiting", text: "Waiting for the next poll…" }));
      return;
    }
    pollBox.appendChild(el("h2", { className: "prompt", id: "poll-prompt", tabindex: "-1", "data-key": "prompt", text: current.prompt }));
    pollBox.appendChild(el("p", { className: "poll-timer", id: "poll-timer", role: "timer", "aria-live": "off", hidden: "" }));
    if (current.state === "closed") pollBox.appendChild(el("p", { className: "muted", text: "Voting is closed." }));
    pollBox.appendChild(current.kind === "classic" ? classicForm()
      : current.kind === "scale" ? Scale.input(current, mine, vote)
      : current.kind === "text" ? OpenText.input(current, mine, { say: say, update: function (list) { mine = list; renderPoll(); } })
      : verdictButtons());
    Live.renderResults(resultsBox, current, current.results_visible ? current.results : null);
    if (window.Predict) Predict.update(current, mine); // the prediction card after a vote (static/js/predict.js)
    tick();
  }

  // --- the countdown ------------------------------------------------------------------------------------

  function clock(payload) {
    if (payload && payload.at) offset = payload.at - Date.now() / 1000;
  }

  function tick() {
    var box = document.getElementById("poll-timer");
    var counting = current && current.state === "open" && current.closes_at;
    if (!counting) {
      if (box) box.hidden = true;
      if (ticking) { window.clearInterval(ticking); ticking = null; }
      return;
    }
    var left = Math.max(0, Math.ceil(current.closes_at - (Date.now() / 1000 + offset)));
    if (box) {
      box.hidden = false;
      box.textContent = left > 0 ? left + " s left to vote" : "Time is up";
      box.className = "poll-timer" + (left <= 10 ? " soon" : "");
    }
    if (left <= 10 && left > 0 && !warned) { warned = true; announce(left + " seconds left to vote."); }
    if (!ticking) ticking = window.setInterval(tick, 500);
  }

  // --- telling an attendee who is elsewhere -------------------------------------------------------------

  function pollInView() {
    // The prompt, not the whole box: a poll opening above the wall grows downwards, its prompt stays put.
    var target = document.getElementById("poll-prompt") || pollBox;
    var r = target.getBoundingClientRect();
    var h = window.innerHeight || document.documentElement.clientHeight;
    return r.bottom > 0 && r.top < h - 80;
  }

  function elsewhere() {
    return document.hidden || !pollInView();
  }

  function flag(prefix) {
    document.title = "● " + prefix + " · " + baseTitle;
  }

  function clearNotice() {
    notice.hidden = true;
    document.body.classList.remove("has-notice");
    document.title = baseTitle;
  }

  function tell(kind) {
    // kind "open": a poll opened (vibrate, "Vote now"); "results": its results appeared.
    var opened = kind === "open";
    if (opened) announce("New poll: " + current.prompt);
    if (!elsewhere()) return;
    notice.querySelector(".poll-notice-text").textContent = (opened ? "New poll: " : "Results: ") + current.prompt;
    notice.querySelector(".poll-notice-action").textContent = opened ? "– Vote now" : "– See results";
    notice.hidden = false;
    document.body.classList.add("has-notice");
    flag(opened ? "Vote now" : "Results");
    if (opened && typeof navigator.vibrate === "function") {
      try { navigator.vibrate(200); } catch (e) { /* not allowed before the first tap: the rest still tells */ }
    }
  }

  function goToPoll() {
    clearNotice();
    var smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    document.getElementById("poll-section").scrollIntoView({ behavior: smooth ? "smooth" : "auto", block: "start" });
    var prompt = document.getElementById("poll-prompt");
    if (prompt) prompt.focus({ preventScroll: true });
  }

  notice.addEventListener("click", goToPoll);
  window.addEventListener("scroll", function () {
    if (!notice.hidden && !document.hidden && pollInView()) clearNotice();
  }, { passive: true });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    document.title = baseTitle; // they are looking at the tab again; the notice stays until the poll is seen
    if (pollInView()) clearNotice();
  });

  // --- events -------------------------------------------------------------------------------------------

  function isNewRun(poll) {
    return poll.state === "open" &&
      (!current || poll.id !== current.id || poll.round !== current.round || current.state !== "open");
  }

  socket.on("state", function (state) {
    // A reconnect can bring a poll that opened while the phone was away: tell as if it had just opened.
    var fresh = current !== null && state.poll && isNewRun(state.poll);
    clock(state.poll);
    current = state.poll;
    mine = state.my_vote;
    draft = null;
    say(mine && mine.length !== 0 ? (current && current.kind === "text" ? "Your answers are in." : "Your vote is in.") : "");
    renderPoll();
    if (fresh) tell("open");
  });
  socket.on("poll_state", function (poll) {
    var opened = isNewRun(poll);
    var revealed = poll.results_visible && !(current && current.id === poll.id && current.results_visible);
    if (!current || poll.id !== current.id || poll.round !== current.round) { mine = null; draft = null; warned = false; }
    if (poll.state === "open" && (!current || poll.id !== current.id)) say("");
    if (revealed) say("Results are shown below.");
    clock(poll);
    current = poll;
    renderPoll();
    if (opened) tell("open");
    else if (revealed) tell("results");
    else if (poll.state !== "open" && !poll.results_visible && !notice.hidden) clearNotice(); // nothing left to see
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
