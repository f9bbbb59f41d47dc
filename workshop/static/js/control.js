/* Control screen: agenda with timer, poll list with open / close / reveal / next, live counts. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var polls = [];
  var agenda = [];
  var segment = null;
  var status = document.getElementById("control-status");
  var socket = Live.connect("/live", { code: app.dataset.code, role: "control" });

  function say(text, bad) {
    status.textContent = text;
    status.className = "status" + (bad ? " bad" : "");
  }

  function send(event, payload) {
    socket.timeout(8000).emit(event, payload, function (err, ack) {
      if (err) return say("No answer from the server – try again.", true);
      if (!ack.ok) return say(ack.error, true);
      say("Done.");
      if (ack.poll) upsert(ack.poll);
      if (ack.segment !== undefined) { segment = ack.segment; renderAgenda(); }
    });
  }

  function upsert(poll) {
    var i = polls.findIndex(function (p) { return p.id === poll.id; });
    if (i === -1) polls.push(poll); else polls[i] = poll;
    renderPolls();
  }

  function action(label, event, poll) {
    var b = el("button", { type: "button", className: "button small", "data-key": poll.id + ":" + label, text: label });
    b.addEventListener("click", function () { send(event, { poll_id: poll.id }); });
    return b;
  }

  function keepingFocus(list, render) {
    // Lists are rebuilt on every tally: put keyboard focus back on the same button (or its card's first one).
    var active = document.activeElement;
    var key = active && list.contains(active) ? active.getAttribute("data-key") : null;
    render();
    if (!key) return;
    var again = list.querySelector('[data-key="' + key + '"]') ||
      list.querySelector('[data-key^="' + key.split(":")[0] + ':"]');
    if (again) again.focus();
  }

  function renderPolls() {
    var list = document.getElementById("polls");
    keepingFocus(list, function () { renderPollList(list); });
  }

  function renderPollList(list) {
    list.textContent = "";
    polls.forEach(function (poll) {
      var buttons = el("div", { className: "actions" });
      if (poll.state === "draft") buttons.appendChild(action("Open", "poll_open", poll));
      if (poll.state === "open") buttons.appendChild(action("Close", "poll_close", poll));
      if (poll.state === "closed") buttons.appendChild(action("Re-run", "poll_open", poll));
      if (poll.state !== "draft") {
        buttons.appendChild(poll.revealed ? action("Hide results", "poll_hide", poll) : action("Reveal", "poll_reveal", poll));
        buttons.appendChild(action("Reset", "poll_reset", poll));
      }
      var results = el("div", { className: "mini-results" });
      var item = el("li", { className: "card poll-" + poll.state, "data-poll-id": String(poll.id) },
        el("p", {}, el("span", { className: "tag", text: poll.kind }), el("span", { className: "tag", text: poll.state + (poll.round > 1 ? " · run " + poll.round : "") }),
          el("strong", { text: " " + poll.prompt })),
        el("p", { className: "count", text: (poll.total || 0) + (poll.total === 1 ? " vote" : " votes") + (poll.revealed ? " · revealed" : "") }),
        buttons, results);
      if (poll.state !== "draft" && poll.results) Live.renderResults(results, poll, poll.results);
      list.appendChild(item);
    });
  }

  function renderAgenda() {
    var list = document.getElementById("agenda");
    keepingFocus(list, function () { renderAgendaList(list); });
    document.getElementById("segment-now").textContent = segment ? segment.title : "–";
  }

  function renderAgendaList(list) {
    list.textContent = "";
    agenda.forEach(function (item) {
      var running = segment && segment.id === item.id;
      var b = el("button", { type: "button", className: "button small" + (running ? " primary" : ""),
        "data-key": "segment-" + item.id + ":start", text: running ? "Running" : "Start" });
      b.addEventListener("click", function () { send("segment_start", { item_id: item.id }); });
      list.appendChild(el("li", { className: running ? "running" : "" },
        el("span", { text: item.title + " · " + item.minutes + " min " }), b));
    });
  }

  function tick() {
    var timer = document.getElementById("timer");
    if (!segment) { timer.textContent = ""; return; }
    var left = segment.minutes * 60 - Math.floor((Date.now() - Date.parse(segment.started_at)) / 1000);
    var sign = left < 0 ? "-" : "";
    left = Math.abs(left);
    timer.textContent = sign + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + (sign ? " over" : " left");
    timer.className = "timer" + (sign ? " over" : "");
  }
  setInterval(tick, 1000);

  document.getElementById("next-poll").addEventListener("click", function () { send("poll_next", {}); });

  socket.on("state", function (state) {
    polls = state.polls || [];
    agenda = state.agenda || [];
    segment = state.segment;
    document.getElementById("participants").textContent = state.participants;
    renderPolls();
    renderAgenda();
    tick();
  });
  socket.on("poll_state", upsert);
  socket.on("segment", function (s) { segment = s; renderAgenda(); tick(); });
  socket.on("poll_tally", function (tally) {
    var poll = polls.find(function (p) { return p.id === tally.id; });
    if (!poll || poll.round !== tally.round || tally.at < poll.at) return;
    poll.at = tally.at;
    poll.total = tally.total;
    if (tally.results) poll.results = tally.results;
    renderPolls();
  });
})();
