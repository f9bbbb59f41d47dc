/* Projector: the prompt, votes against people in the room, the countdown, results (overall and by stance).
   A projector cannot scroll: after every rebuild the stage is fitted to the viewport (shrink within a floor,
   then page through the stance groups, then show fewer questions); nothing is ever cut. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var $ = function (id) { return document.getElementById(id); };
  var stage = document.querySelector(".stage");
  var current = null;
  var moves = null; // who moved, while a facilitator shows it (the `moves` event, the state's `moves`)
  var segmentKind = null;
  var phones = 0;
  var offset = 0; // server clock minus ours, in seconds (from each payload's `at`)
  // Grow into an empty screen, shrink for a long one; the floor keeps 48 px type at 32 px or more.
  var SCALES = [1.5, 1.35, 1.25, 1.15, 1.08, 1, 0.92, 0.84, 0.76, 0.68];
  var PAGE_MS = 8000;
  var paging = null;
  var meanings = JSON.parse(app.dataset.meanings || "{}");
  var socket = Live.connect("/live", { code: app.dataset.code, role: "projector" });

  function mode() {
    // Who moved, when a facilitator puts it up; an open poll has the stage; otherwise a highlighted question,
    // or the wall during a Q&A segment.
    if (moves && moves.shown) return "moves";
    var shown = current && current.results_visible && current.results;
    if (current && current.state === "open") return shown ? "results" : "voting";
    if (document.querySelector("#q-now .q-now-text") || segmentKind === "qa") return "question";
    if (!current) return "lobby";
    return shown ? "results" : "closed";
  }

  function showSegment(segment) {
    segmentKind = segment ? segment.kind : null;
    $("segment").textContent = segment ? "Now: " + segment.title : "";
  }

  function clockFrom(payload) {
    if (payload && typeof payload.at === "number") offset = payload.at - Date.now() / 1000;
  }

  function renderPoll() {
    var box = $("poll");
    box.textContent = "";
    if (!current) { // the lobby: the workshop's name and how to join, large
      box.appendChild(el("h2", { className: "prompt lobby-title", text: app.dataset.title }));
      box.appendChild(el("p", { className: "waiting", text: "Scan the code with your phone camera to join. The first poll opens soon." }));
      return;
    }
    box.appendChild(el("h2", { className: "prompt", text: current.prompt }));
    if (current.kind === "verdict") return box.appendChild(verdictKey());
    if (current.kind === "scale") return box.appendChild(Scale.legend(current));
    if (current.kind === "text") {
      var rules = current.text || { per_person: 1 };
      return box.appendChild(el("ul", { className: "items" }, el("li", { text: rules.per_person === 1
        ? "Answer on your phone: one word or a short phrase" : "Answer on your phone: up to " + rules.per_person + " words or short phrases" })));
    }
    var list = el("ol", { className: "items" });
    current.options.forEach(function (o, i) {
      list.appendChild(el("li", {}, current.kind === "choice" ? Live.icon(String(i)) : null, el("span", { text: o })));
    });
    box.appendChild(list);
  }

  function verdictKey() {
    // What each answer means in this workshop (set in the planner), with its mark: the room's legend.
    var list = el("ul", { className: "items verdicts" });
    ["snog", "marry", "avoid"].forEach(function (v) {
      list.appendChild(el("li", { className: "answer-" + v }, Live.icon(v), el("strong", { text: Live.LABELS[v] }),
        meanings[v] ? el("span", { className: "meaning", text: meanings[v] }) : null));
    });
    return list;
  }

  function renderStatus() {
    var text = !current ? "" : current.state === "open" ? "Vote now" : "Voting closed";
    $("poll-status").textContent = text;
  }

  function tally(n) { return n === 1 ? "1 person" : n + " people"; }  // open text counts people, not votes

  function renderAlive() {
    var total = current ? current.total || 0 : 0;
    $("count").textContent = !current ? "" : current.kind === "text" ? tally(total) + " answered" : Live.plural(total, "vote");
    $("alive-room").textContent = phones ? "from " + Live.plural(phones, "phone") + " in the room" : "Scan the code to vote";
    $("alive-fill").style.width = phones ? Math.min(100, Math.round((100 * total) / phones)) + "%" : "0";
    $("alive").hidden = !current || mode() === "results";
    $("alive").classList.remove("bump");
    void $("alive").offsetWidth; // restart the bump animation (off under prefers-reduced-motion)
    $("alive").classList.add("bump");
  }

  function renderPeople() {
    $("people-count").textContent = String(phones);
    $("people-word").textContent = phones === 1 ? "phone in the room" : "phones in the room";
  }

  function tickTimer() {
    var left = Live.countdown(current, offset);
    var timer = $("timer");
    timer.hidden = left === null;
    if (left === null) return;
    timer.textContent = left > 0 ? Live.clock(left) + " left" : "Time is up";
    timer.classList.toggle("ending", left <= 10);
  }

  function render() {
    app.setAttribute("data-mode", mode());
    renderStatus();
    renderPoll();
    renderAlive();
    Live.renderResults($("results"), current || {}, mode() === "results" ? current.results : null);
    renderMoves();
    tickTimer();
    fit();
  }

  function renderMoves() {
    // The diagram is the server's SVG (live/sankey.py: every word in it escaped there); the headline is text.
    var on = mode() === "moves";
    $("moves").hidden = !on;
    if (!on) { $("moves-figure").textContent = ""; return; }
    var side = moves.side ? (moves.mark ? moves.mark + " " : "") + moves.side : "Everyone";
    $("moves-what").textContent = "Who moved · round " + moves.first + " → round " + moves.last + " · " + side +
      " · " + moves.prompt;
    $("moves-headline").textContent = moves.headline;
    $("moves-figure").innerHTML = moves.svg;
  }

  // --- fitting the stage to the viewport ---------------------------------------------------

  function overflows() {
    // scrollWidth also catches text running past its cell (nowrap), which no element's box shows.
    if (stage.scrollHeight > stage.clientHeight + 2 || stage.scrollWidth > stage.clientWidth + 2) return true;
    var grid = stage.querySelector(".results-grid");
    return !!grid && grid.getBoundingClientRect().right > stage.getBoundingClientRect().right + 2;
  }

  function fit() {
    stopPaging();
    showAll(".split > .stance");
    showAll("#q-top > li");
    // Full size (48 px at 1080p) paging through the stance groups beats everything at once in small type.
    if (tryScales(SCALES.filter(function (x) { return x >= 1; })) || pageStances() || trimQuestions()) return;
    if (tryScales(SCALES.filter(function (x) { return x < 1; })) || pageStances()) return;
    hideTrailing("#q-top > li");
  }

  function tryScales(scales) {
    for (var i = 0; i < scales.length; i++) {
      app.style.setProperty("--fit", String(scales[i]));
      if (!overflows()) return true;
    }
    return false;
  }

  function showAll(selector) {
    document.querySelectorAll(selector).forEach(function (n) { n.hidden = false; });
  }

  function trimQuestions() {
    // The wall at full size with fewer questions beats all five in small type (phones show them all).
    hideTrailing("#q-top > li");
    if (!overflows()) return true;
    showAll("#q-top > li");
    return false;
  }

  function hideTrailing(selector) {
    var items = Array.prototype.slice.call(document.querySelectorAll(selector));
    while (items.length > 1 && overflows()) items.pop().hidden = true;
  }

  function pageStances() {
    stopPaging();
    var groups = Array.prototype.slice.call(document.querySelectorAll(".split > .stance"));
    for (var size = groups.length - 1; size >= 1; size--) {
      if (fitsPages(groups, size)) { startPaging(groups, size); return true; }
    }
    stopPaging(); // nothing fitted: everything back on show for the next attempt
    showAll(".split > .stance");
    return false;
  }

  function fitsPages(groups, size) {
    for (var start = 0; start < groups.length; start += size) {
      showPage(groups, size, start);
      if (overflows()) return false;
    }
    return true;
  }

  function showPage(groups, size, start) {
    groups.forEach(function (g, i) { g.hidden = i < start || i >= start + size; });
    var pages = Math.ceil(groups.length / size);
    var note = $("results-page");
    note.hidden = false;
    var what = current && current.kind === "classic" ? "By stance, each group's top verdict" : "By stance";
    note.textContent = what + ": page " + (Math.floor(start / size) + 1) + " of " + pages + " (turns every " +
      PAGE_MS / 1000 + " s)";
  }

  function startPaging(groups, size) {
    var start = 0;
    showPage(groups, size, start);
    paging = setInterval(function () {
      start = start + size >= groups.length ? 0 : start + size;
      showPage(groups, size, start);
    }, PAGE_MS);
  }

  function stopPaging() {
    if (paging) clearInterval(paging);
    paging = null;
    $("results-page").hidden = true;
  }

  // --- socket -----------------------------------------------------------------------------

  socket.on("state", function (state) {
    current = state.poll;
    moves = state.moves || null;
    clockFrom(current);
    phones = state.room ? state.room.phones : phones;
    showSegment(state.segment);
    renderPeople();
    render();
  });
  socket.on("poll_state", function (poll) {
    if (poll.state === "open") moves = null; // voting again: the server took who moved off too
    current = poll;
    clockFrom(poll);
    render();
  });
  socket.on("moves", function (message) { moves = message && message.shown ? message : null; render(); });
  socket.on("segment", function (segment) { showSegment(segment); render(); });
  socket.on("room", function (message) {
    phones = message.phones;
    renderPeople();
    if (current) renderAlive();
  });
  socket.on("poll_tally", function (tally) {
    if (!current || tally.id !== current.id || tally.round !== current.round || tally.at < current.at) return;
    current.at = tally.at;
    var wasResults = mode() === "results";
    current.total = tally.total;
    current.results_visible = tally.results_visible;
    if (tally.results) current.results = tally.results;
    if (wasResults !== (mode() === "results")) return render();
    renderAlive();
    if (mode() === "results" && Live.renderResults($("results"), current, current.results)) fit();
  });
  setInterval(tickTimer, 250);
  window.addEventListener("resize", fit);
  // The question wall renders into the same stage: fit again when it changes what the stage shows.
  new MutationObserver(function () {
    if (app.getAttribute("data-mode") !== mode()) render(); else if (mode() === "question" || mode() === "lobby") fit();
  }).observe($("q-projector") || stage, { childList: true, subtree: true });
})();
