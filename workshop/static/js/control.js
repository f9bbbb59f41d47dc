/* Control screen: the "now" panel (current poll, votes against phones in the room, countdown, primary actions
   with keyboard shortcuts), the agenda, every poll with its own actions, and a preview of the projector.

   Every button's accessible name says what it acts on ("Open poll 3: ..."); the panel's names add the shortcut,
   so no two buttons share a name. Reset asks first (Confirm.ask, static/js/confirm.js). */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var polls = [];
  var agenda = [];
  var segment = null;
  var room = null; // phones connected now (state.room / the `room` event); null until the server says
  var joined = 0; // phones that ever joined (older servers send only this)
  var roomAt = 0;
  var offset = 0; // server clock minus ours, in seconds (from each payload's `at`)
  var focusId = null; // the poll that changed last: what the panel shows when none is open
  var runOrder = []; // ids of polls in the order they were opened (the server's "current" is the latest)
  var unfolded = {}; // poll id -> true: the facilitator opened that poll's folded results
  var status = document.getElementById("control-status");
  var socket = Live.connect("/live", { code: app.dataset.code, role: "control" });
  var KINDS = { verdict: "Verdict", classic: "Classic", choice: "Multiple choice", scale: "Scale" };
  var $ = function (id) { return document.getElementById(id); };

  var say = Live.status(status, "now-status");

  function short(text, max) {
    max = max || 70;
    return text.length > max ? text.slice(0, max - 1) + "…" : text;
  }

  // --- which poll ------------------------------------------------------------------------------

  function byId(id) { return polls.find(function (p) { return p.id === id; }) || null; }
  function number(poll) { return polls.indexOf(poll) + 1; }
  function named(poll) { return "poll " + number(poll) + ": " + short(poll.prompt); }
  function openPoll() { return polls.find(function (p) { return p.state === "open"; }) || null; }

  function serverCurrent() {
    // What the server's poll_next counts from: the open poll, else the one opened most recently.
    var open = openPoll();
    if (open) return open;
    for (var i = runOrder.length - 1; i >= 0; i--) {
      var p = byId(runOrder[i]);
      if (p && p.state !== "draft") return p;
    }
    return null;
  }

  function nextDraft() {
    var from = serverCurrent();
    var start = from ? polls.indexOf(from) + 1 : 0;
    return polls.slice(start).find(function (p) { return p.state === "draft"; }) || null;
  }

  function current() {
    return openPoll() || byId(focusId) || serverCurrent() || polls.find(function (p) { return p.state === "draft"; }) || null;
  }

  function openTarget() {
    var now = current();
    return now && now.state === "draft" ? now : nextDraft();
  }

  function ran(poll) {
    if (poll.state !== "open") return;
    runOrder = runOrder.filter(function (id) { return id !== poll.id; });
    runOrder.push(poll.id);
  }

  // --- talking to the server -------------------------------------------------------------------

  function clock(payload) {
    if (payload && typeof payload.at === "number") offset = payload.at - Date.now() / 1000;
  }

  function serverNow() { return Date.now() / 1000 + offset; }

  function send(event, payload, done) {
    Live.send(socket, event, payload, say, function (ack) {
      if (ack.poll) { upsert(ack.poll); focusId = ack.poll.id; render(); }
      if (ack.segment !== undefined) { segment = ack.segment; renderAgenda(); tick(); }
      say(typeof done === "function" ? done(ack) : done);
    });
  }

  function upsert(poll) {
    clock(poll);
    var old = byId(poll.id);
    if (old && poll.round === old.round && poll.at < old.at) return; // an older read crossed a newer one
    if (old) polls[polls.indexOf(old)] = poll; else polls.push(poll);
    polls.sort(function (a, b) { return a.position - b.position || a.id - b.id; });
    ran(poll);
  }

  // --- actions (buttons and shortcuts share them) ----------------------------------------------

  function openIt(poll) {
    if (!poll) return say("No poll left in draft: re-run a closed one from the list.", true);
    send("poll_open", { poll_id: poll.id }, function (ack) { return opened(ack.poll); });
  }

  function opened(poll) {
    var p = byId(poll.id) || poll;
    return "Poll " + number(p) + " is open" + (poll.closes_at ? " with a countdown" : "") + ": " + short(poll.prompt, 60);
  }

  var actions = {
    open: function () {
      // While a poll is open, O does nothing (a stray O never moves the room on); N closes it and opens the next.
      var open = openPoll();
      if (open) return say("Poll " + number(open) + " is already open: Next (N) closes it and opens the next one.", true);
      openIt(openTarget());
    },
    next: function () {
      if (!nextDraft()) return say("There is no further poll in draft.", true);
      send("poll_next", {}, function (ack) { return opened(ack.poll); });
    },
    reveal: function () {
      var now = current();
      if (!now || now.state === "draft") return say("Nothing to reveal: the current poll has not run yet.", true);
      toggleReveal(now);
    },
    close: function () {
      var open = openPoll();
      if (!open) return say("No poll is open.", true);
      closeIt(open);
    },
    timer: function () {
      var open = openPoll();
      if (!open) return say("Open a poll first: the countdown runs on the open poll.", true);
      var step = timerStep();
      var left = open.closes_at ? Math.max(0, Math.ceil(open.closes_at - serverNow())) : 0;
      var seconds = Math.min(3600, left + step);
      send("poll_timer", { poll_id: open.id, seconds: seconds }, "Countdown on poll " + number(open) + ": " + seconds + " s.");
    },
    stopTimer: function () {
      var open = openPoll();
      if (!open || !open.closes_at) return say("No countdown is running.", true);
      send("poll_timer", { poll_id: open.id, seconds: 0 }, "Countdown stopped: poll " + number(open) + " stays open.");
    },
    reset: function () {
      var now = current();
      if (!now || now.state === "draft") return say("Nothing to reset: the current poll has no votes.", true);
      resetIt(now);
    },
  };

  function timerStep() {
    var n = parseInt($("timer-step").value, 10);
    return isNaN(n) || n < 1 ? 30 : Math.min(n, 3600);
  }

  function closeIt(poll) {
    send("poll_close", { poll_id: poll.id }, "Poll " + number(poll) + " is closed.");
  }

  function toggleReveal(poll) {
    if (poll.revealed) send("poll_hide", { poll_id: poll.id }, "Results of poll " + number(poll) + " are hidden from the room.");
    else send("poll_reveal", { poll_id: poll.id }, "Results of poll " + number(poll) + " are on the projector.");
  }

  function ask(options) {
    if (window.Confirm && typeof window.Confirm.ask === "function") return window.Confirm.ask(options);
    return Promise.resolve(window.confirm(options.title + "\n\n" + options.body));
  }

  function resetIt(poll) {
    var n = number(poll);
    var votes = poll.total || 0;
    var count = votes + (votes === 1 ? " vote" : " votes");
    ask({
      title: "Reset poll " + n + " and delete its votes?",
      body: "This deletes the " + count + " of this run of poll " + n + " (" + short(poll.prompt, 80) +
        ") and puts it back to draft. It cannot be undone.",
      confirm: "Delete " + count,
      cancel: "Keep the votes",
    }).then(function (yes) {
      if (!yes) return say("Nothing deleted: poll " + n + " keeps its votes.");
      send("poll_reset", { poll_id: poll.id }, "Poll " + n + " is reset: its votes are deleted.");
    });
  }

  // --- the now panel ---------------------------------------------------------------------------

  function setButton(id, enabled, name, label) {
    var b = $(id);
    b.setAttribute("aria-label", name + " (shortcut " + b.getAttribute("aria-keyshortcuts").toUpperCase() + ")");
    if (enabled) b.removeAttribute("aria-disabled"); else b.setAttribute("aria-disabled", "true");
    if (label) b.querySelector(".label").textContent = label;
  }

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function counted(poll) {  // an open-text poll counts the people who answered, the others votes
    var n = poll ? poll.total || 0 : 0;
    return poll && poll.kind === "text" ? plural(n, "person", "people") + " answered" : plural(n, "vote", "votes");
  }

  function renderNow() {
    var now = current();
    var open = openPoll();
    var target = openTarget();
    var next = nextDraft();
    $("now-meta").textContent = now
      ? "Poll " + number(now) + " of " + polls.length + " · " + (KINDS[now.kind] || now.kind) + " · " + now.state +
        (now.round > 1 ? " (run " + now.round + ")" : "") + (now.revealed ? " · results shown" : "") +
        (now.state !== "open" && now.timer_seconds ? " · " + now.timer_seconds + " s countdown when opened" : "") +
        (now.rerun_planned && now.state === "closed" && now.round === 1 ? " · re-run planned: Re-run in its card, then Who moved" : "")
      : "No polls yet: add them in the planner.";
    $("now-prompt").textContent = now ? now.prompt : "";
    $("now-votes").textContent = counted(now);
    $("room-count").textContent = room === null ? plural(joined, "phone", "phones") + " joined"
      : plural(room, "phone", "phones") + " in the room";

    setButton("now-open", !open && !!target, open ? "Open: poll " + number(open) + " is already open"
      : target ? "Open " + named(target) : "Open: no poll left in draft");
    var shown = now && now.state !== "draft";
    setButton("now-reveal", shown, shown ? (now.revealed ? "Hide results of " : "Reveal results of ") + named(now)
      : "Reveal: the current poll has not run yet", shown && now.revealed ? "Hide" : "Reveal");
    setButton("now-close", !!open, open ? "Close " + named(open) : "Close: no poll is open");
    setButton("now-next", !!next, next ? "Next poll: open " + named(next) : "Next poll: none left in draft");
    var counting = open && open.closes_at;
    var step = timerStep();
    setButton("now-timer-button", !!open, !open ? "Timer: no poll is open"
      : counting ? "+" + step + " s: add " + step + " seconds to the countdown of " + named(open)
        : "Timer: start a " + step + "-second countdown on " + named(open), counting ? "+" + step + " s" : "Timer");
    var stop = $("now-timer-stop");
    stop.hidden = !counting;
    if (counting) stop.setAttribute("aria-label", "Stop timer: stop the countdown of " + named(open));
    setButton("now-reset", shown, shown ? "Reset votes of " + named(now) : "Reset: the current poll has no votes");
    countdown();
  }

  function countdown() {
    var open = openPoll();
    var box = $("now-timer");
    if (!open || !open.closes_at) { box.hidden = true; return; }
    var left = Math.max(0, Math.ceil(open.closes_at - serverNow()));
    var text = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + (left ? " left" : " · closing");
    box.hidden = false;
    if (box.textContent !== text) box.textContent = text;
    box.className = "timer now-timer" + (left <= 10 ? " ending" : "");
  }
  setInterval(countdown, 250);

  // --- the poll list ---------------------------------------------------------------------------

  function action(label, name, key, go) {
    var b = el("button", { type: "button", className: "button small", "data-key": key, "aria-label": name, text: label });
    b.addEventListener("click", go);
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
    var list = $("polls");
    keepingFocus(list, function () { renderPollList(list); });
  }

  function pollButtons(poll) {
    var box = el("div", { className: "actions" });
    var k = poll.id + ":";
    var name = named(poll);
    if (poll.state === "draft") box.appendChild(action("Open", "Open " + name, k + "open", function () { openIt(poll); }));
    if (poll.state === "open") box.appendChild(action("Close", "Close " + name, k + "close", function () { closeIt(poll); }));
    if (poll.state === "closed") {
      var again = action("Re-run", "Re-run " + name + (poll.rerun_planned ? " (planned: then show who moved)" : ""),
        k + "rerun", function () { openIt(poll); });
      if (poll.rerun_planned) again.className += " primary"; // the planner meant to run it again
      box.appendChild(again);
    }
    if (poll.state !== "draft") {
      box.appendChild(poll.revealed
        ? action("Hide results", "Hide results of " + name, k + "reveal", function () { toggleReveal(poll); })
        : action("Reveal", "Reveal results of " + name, k + "reveal", function () { toggleReveal(poll); }));
      var reset = action("Reset", "Reset votes of " + name, k + "reset", function () { resetIt(poll); });
      reset.className += " reset";
      box.appendChild(reset);
    }
    return box;
  }

  function showResults(box, poll, isNow) {
    // The current poll's results in full; the others folded (a list of eight split results is screens long).
    if (isNow) return Live.renderResults(box, poll, poll.results);
    var inner = el("div");
    var fold = el("details", { className: "poll-results" },
      el("summary", { "data-key": poll.id + ":results", text: "Results of poll " + number(poll) + " · " +
        plural(poll.results.total, "vote", "votes") }), inner);
    fold.open = !!unfolded[poll.id];
    fold.addEventListener("toggle", function () { unfolded[poll.id] = fold.open; });
    Live.renderResults(inner, poll, poll.results);
    box.appendChild(fold);
  }

  function renderPollList(list) {
    var now = current();
    list.textContent = "";
    polls.forEach(function (poll) {
      var results = el("div", { className: "mini-results" });
      var tag = (KINDS[poll.kind] || poll.kind) + " · " + poll.state + (poll.round > 1 ? " · run " + poll.round : "") +
        (poll.revealed ? " · results shown" : "");
      var head = el("p", { className: "poll-head" }, el("span", { className: "tag state-" + poll.state, text: tag }));
      if (poll === now) head.appendChild(el("span", { className: "tag now-tag", text: "Now" }));
      if (poll.timer_seconds) head.appendChild(el("span", { className: "tag", text: poll.timer_seconds + " s countdown" }));
      if (poll.rerun_planned) head.appendChild(el("span", { className: "tag rerun-tag", text: "Re-run planned" }));
      head.appendChild(el("strong", { className: "poll-prompt", text: poll.prompt }));
      var item = el("li", { className: "card poll-" + poll.state + (poll === now ? " is-now" : ""),
        id: "poll-card-" + poll.id, "data-poll-id": String(poll.id) },
        head, el("p", { className: "count", text: counted(poll) }), pollButtons(poll), results);
      if (poll === now) item.setAttribute("aria-current", "true");
      if (poll.state !== "draft" && poll.results) showResults(results, poll, poll === now);
      list.appendChild(item);
    });
  }

  // --- the agenda ------------------------------------------------------------------------------

  function renderAgenda() {
    var list = $("agenda");
    keepingFocus(list, function () { renderAgendaList(list); });
    $("segment-now").textContent = segment ? segment.title : "–";
  }

  function renderAgendaList(list) {
    list.textContent = "";
    agenda.forEach(function (item, i) {
      var running = segment && segment.id === item.id;
      var what = "segment " + (i + 1) + ": " + item.title;
      var b = el("button", { type: "button", className: "button small" + (running ? "" : " primary"),
        "data-key": "segment-" + item.id + ":start", "aria-label": (running ? "Restart " : "Start ") + what,
        text: running ? "Restart" : "Start" });
      b.addEventListener("click", function () {
        send("segment_start", { item_id: item.id }, "Segment " + (i + 1) + " started: " + item.title + ".");
      });
      var label = el("span", { className: "agenda-title" }, el("span", { text: item.title }),
        el("span", { className: "muted", text: " · " + item.minutes + " min" }));
      if (running) label.appendChild(el("span", { className: "tag now-tag", text: "Running" }));
      var li = el("li", { className: running ? "running" : "" }, label, b);
      if (running) li.setAttribute("aria-current", "step");
      list.appendChild(li);
    });
  }

  function tick() {
    var timer = $("timer");
    if (!segment) { timer.textContent = ""; return; }
    var left = segment.minutes * 60 - Math.floor((Date.now() - Date.parse(segment.started_at)) / 1000);
    var sign = left < 0 ? "-" : "";
    left = Math.abs(left);
    timer.textContent = sign + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + (sign ? " over" : " left");
    timer.className = "timer" + (sign ? " over" : "");
  }
  setInterval(tick, 1000);

  function render() {
    renderNow();
    renderPolls();
  }

  // --- keyboard shortcuts ----------------------------------------------------------------------

  var KEYS = { n: "next", o: "open", r: "reveal", c: "close", t: "timer", x: "reset" };

  function typing(target) {
    // Never while typing: text fields, selects, anything editable (checkboxes and buttons are not typing).
    if (!target || !target.closest) return false;
    if (target.isContentEditable || target.closest("textarea, select, [contenteditable]:not([contenteditable='false'])")) return true;
    var input = target.closest("input");
    return !!input && !/^(checkbox|radio|button|submit|reset|range|color|file|image)$/.test(input.type);
  }

  // WCAG 2.1.4: single-character shortcuts can be turned off (speech input users type words that are keys).
  var keysEnabled = $("keys-enabled");
  keysEnabled.checked = storedKeys() !== "off";
  keysEnabled.addEventListener("change", function () {
    try { window.localStorage.setItem("workshop.shortcuts", keysEnabled.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    say(keysEnabled.checked ? "Keyboard shortcuts on." : "Keyboard shortcuts off: the buttons still work.");
  });

  function storedKeys() {
    try { return window.localStorage.getItem("workshop.shortcuts"); } catch (e) { return null; }
  }

  function onKey(event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented || event.repeat) return;
    if (!keysEnabled.checked) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      return showHelp();
    }
    var name = KEYS[event.key.toLowerCase()];
    if (!name || event.key.length !== 1) return;
    event.preventDefault();
    actions[name]();
  }
  document.addEventListener("keydown", onKey);

  function showHelp() {
    var dialog = $("keys-dialog");
    if (dialog.open) return;
    var back = document.activeElement;
    dialog.addEventListener("close", function restore() {
      dialog.removeEventListener("close", restore);
      if (back && document.contains(back) && typeof back.focus === "function") back.focus();
    });
    dialog.showModal();
  }

  // aria-disabled buttons stay focusable (focus never drops to the page); a press says why instead.
  $("now-open").addEventListener("click", actions.open);
  $("now-next").addEventListener("click", actions.next);
  $("now-reveal").addEventListener("click", actions.reveal);
  $("now-close").addEventListener("click", actions.close);
  $("now-timer-button").addEventListener("click", actions.timer);
  $("now-timer-stop").addEventListener("click", actions.stopTimer);
  $("now-reset").addEventListener("click", actions.reset);
  $("keys-help").addEventListener("click", showHelp);
  $("timer-step").addEventListener("input", renderNow);
  $("timer-step").addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); actions.timer(); } // type the seconds, Enter starts it
  });

  // --- layout: the pinned panel never hides what has focus; the projector preview ----------------

  function pinned() {
    // Scrolling to a focused element keeps it clear of the pinned panel (WCAG 2.4.11). A panel taller than
    // half the window (a phone on its side, text at 200%) stops being pinned: it would hide the page.
    var now = $("now");
    now.classList.remove("unpinned");
    var h = now.getBoundingClientRect().height;
    var pin = h <= window.innerHeight / 2;
    now.classList.toggle("unpinned", !pin);
    document.documentElement.style.scrollPaddingTop = pin ? Math.ceil(h + 8) + "px" : "";
  }

  function preview() {
    var details = $("preview");
    var frame = $("preview-frame");
    var box = $("preview-box");
    function load() { if (details.open && !frame.src) frame.src = frame.getAttribute("data-src"); }
    function scale() { frame.style.transform = "scale(" + (box.clientWidth / 1920) + ")"; }
    details.addEventListener("toggle", load);
    if (window.matchMedia("(min-width: 64rem)").matches) details.open = true;
    load();
    if (window.ResizeObserver) {
      new ResizeObserver(scale).observe(box);
      new ResizeObserver(pinned).observe($("now"));
    } else {
      window.addEventListener("resize", scale);
    }
    window.addEventListener("resize", pinned); // the window's height decides too, not only the panel's
    scale();
    pinned();
  }
  preview();

  // --- server events ---------------------------------------------------------------------------

  socket.on("state", function (state) {
    polls = [];
    (state.polls || []).forEach(function (p) { clock(p); polls.push(p); });
    polls.sort(function (a, b) { return a.position - b.position || a.id - b.id; });
    runOrder = state.poll ? [state.poll.id] : [];
    focusId = state.poll ? state.poll.id : null;
    agenda = state.agenda || [];
    segment = state.segment;
    joined = state.participants || 0;
    room = state.room && typeof state.room.phones === "number" ? state.room.phones : null;
    roomAt = 0;
    render();
    renderAgenda();
    tick();
  });
  socket.on("poll_state", function (poll) {
    upsert(poll);
    focusId = poll.id;
    render();
  });
  socket.on("segment", function (s) { segment = s; renderAgenda(); tick(); });
  socket.on("room", function (data) {
    if (!data || typeof data.phones !== "number" || (data.at && data.at < roomAt)) return;
    roomAt = data.at || roomAt;
    room = data.phones;
    renderNow();
  });
  socket.on("poll_tally", function (tally) {
    var poll = byId(tally.id);
    if (!poll || poll.round !== tally.round || tally.at < poll.at) return;
    clock(tally);
    poll.at = tally.at;
    poll.total = tally.total;
    if (tally.results) poll.results = tally.results;
    render();
  });
})();
