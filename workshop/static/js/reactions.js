/* Reactions on every live screen (docs/realtime.md, "Reactions"), on the page's own /live socket:
   - phone: a bar of big emoji buttons at the bottom, shown only while reactions are on; a tap pops at once
     and is sent with `react` (in a big room with the taps gathered since the last message, at the pace the
     server's ack names); one a second (the server's limit too), said gently, never an error page;
   - projector: the segment's running totals in the top bar (emoji, number, the name for screen readers) and a
     light burst of floating emoji in a lane of its own from each tick's counts (at most MAX_FLYING at once);
     under prefers-reduced-motion no burst, the totals that grew light up instead;
   - control: the on/off switch (a real button, role="switch") and the totals.
   Every piece of text goes through textContent. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var socket = window.Live && Live.sockets["/live"];
  if (!app || !socket) return;
  var role = app.dataset.role;
  var el = Live.el;
  var reduced = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var GAP_MS = 1000; // one reaction a second per phone (the server refuses faster ones)
  var MAX_FLYING = 30;
  var on = false;
  var set = [];
  var totals = {};
  var segmentId = null;

  function names() {
    var byKey = {};
    set.forEach(function (r) { byKey[r.key] = r; });
    return byKey;
  }

  function apply(reactions) {
    if (!reactions) return;
    if (reactions.pace_ms !== undefined) setPace(reactions.pace_ms);
    on = !!reactions.on;
    set = reactions.set || [];
    if (reactions.totals) totals = reactions.totals;
    if (reactions.segment_id !== undefined) segmentId = reactions.segment_id;
    app.setAttribute("data-reactions", on ? "on" : "off");
    if (role === "phone") renderBar();
    else renderTotals(null);
    if (role === "control") renderSwitch();
    if (role === "projector") window.dispatchEvent(new Event("resize")); // the lane takes room: fit the stage again
  }

  socket.on("state", function (state) { apply(state.reactions); });
  socket.on("reactions", function (reactions) { apply(reactions); });
  socket.on("segment", function (segment) {
    var id = segment ? segment.id : 0;
    if (id !== segmentId) { segmentId = id; totals = {}; if (role !== "phone") renderTotals(null); }
  });

  // --- phone ------------------------------------------------------------------------------------

  var bar = document.getElementById("reaction-bar");
  var buttons = document.getElementById("reaction-buttons");
  var say = Live.status(document.getElementById("reaction-status"), "reaction-status");
  var lastTap = 0;
  var resting = null;

  function renderBar() {
    if (!bar) return;
    bar.hidden = !on || !set.length;
    document.body.classList.toggle("has-reactions", !bar.hidden);
    var shape = set.map(function (r) { return r.key; }).join(",");
    if (buttons.getAttribute("data-shape") === shape) return;
    buttons.setAttribute("data-shape", shape);
    buttons.textContent = "";
    set.forEach(function (r) {
      var button = el("button", { type: "button", className: "reaction", "data-reaction": r.key, "aria-label": r.name },
        el("span", { className: "reaction-emoji", "aria-hidden": "true", text: r.emoji }));
      button.addEventListener("click", function () { tap(r, button); });
      buttons.appendChild(button);
    });
  }

  function rest(ms) {
    // The gentle "one a second" state: the bar dims for the rest of the second, then wakes up again.
    bar.classList.add("resting");
    clearTimeout(resting);
    resting = setTimeout(function () { bar.classList.remove("resting"); }, ms);
  }

  // A tap shows at once on the phone; taps go to the server together, one message per `pace` (the server's
  // ack says how long: 0 in a small room, a few seconds in a big one, where a message per tap would be the
  // server's main work). Leaving the page or the tab sends what is gathered straight away.
  var gathered = [];
  var inFlight = false;
  var paceMs = 0;
  var nextSendAt = null; // nothing sent yet: the first message waits a random part of the pace
  var sendTimer = null;

  function setPace(ms) { paceMs = Math.max(0, Number(ms) || 0); }

  function nextAfter(fromMs) {
    // Half to one and a half of the pace (the server's bucket allows the longest): phones that started
    // together drift apart instead of sending in step.
    return fromMs + paceMs * (0.5 + Math.random());
  }

  function tap(reaction, button) {
    var wait = GAP_MS - (Date.now() - lastTap);
    if (wait > 0) { say("One a second – just a moment."); rest(wait); return; }
    lastTap = Date.now();
    rest(GAP_MS);
    button.classList.remove("sent");
    void button.offsetWidth; // restart the pop (none under prefers-reduced-motion)
    button.classList.add("sent");
    gathered.push(reaction.key);
    if (paceMs) say(reaction.name + " – on its way to the screen.");
    flush(false);
  }

  function flush(now) {
    clearTimeout(sendTimer);
    if (!gathered.length || inFlight) return;
    if (nextSendAt === null) nextSendAt = Date.now() + paceMs * Math.random();
    var due = nextSendAt - Date.now();
    if (due > 0 && !now) { sendTimer = setTimeout(function () { flush(false); }, due); return; }
    send(gathered.splice(0, gathered.length));
  }

  function send(keys) {
    var byKey = names();
    var last = byKey[keys[keys.length - 1]];
    var sentAt = Date.now();
    inFlight = true;
    nextSendAt = nextAfter(sentAt);
    var body = keys.length === 1 ? { reaction: keys[0] } : { reactions: keys };
    socket.timeout(8000).emit("react", body, function (err, ack) {
      inFlight = false;
      if (err) { say("No answer from the server – try again.", true); return flush(false); }
      if (ack.ok) {
        setPace(ack.reaction.pace_ms);
        nextSendAt = nextAfter(sentAt);
        say(keys.length === 1 ? (last ? last.name : "Reaction") + " sent." : keys.length + " reactions sent.");
      } else if (/one reaction a second/i.test(ack.error)) { say("One a second – just a moment."); rest(GAP_MS); }
      else say(ack.error, true);
      flush(false);
    });
  }

  document.addEventListener("visibilitychange", function () { if (document.hidden) flush(true); });
  window.addEventListener("pagehide", function () { flush(true); });

  // --- projector and control: the totals ------------------------------------------------------------

  var list = document.getElementById("reaction-totals");

  function renderTotals(grew) {
    if (!list) return;
    list.hidden = role !== "control" && (!on || !set.length); // the control screen keeps the numbers when off
    var shape = set.map(function (r) { return r.key; }).join(",");
    if (list.getAttribute("data-shape") !== shape) {
      list.setAttribute("data-shape", shape);
      list.textContent = "";
      set.forEach(function (r) {
        list.appendChild(el("li", { className: "reaction-total", "data-reaction": r.key },
          el("span", { className: "reaction-emoji", "aria-hidden": "true", text: r.emoji }),
          el("span", { className: "visually-hidden", text: r.name + ": " }),
          el("span", { className: "reaction-count" })));
      });
    }
    list.querySelectorAll(".reaction-total").forEach(function (item) {
      var key = item.getAttribute("data-reaction");
      item.querySelector(".reaction-count").textContent = String(totals[key] || 0);
      if (grew && grew[key] && reduced && reduced.matches) pulse(item);
    });
  }

  function pulse(item) {
    // Reduced motion: no flying emoji, the total that grew is outlined for a moment (nothing moves).
    item.classList.add("grew");
    clearTimeout(item._grew);
    item._grew = setTimeout(function () { item.classList.remove("grew"); }, 1200);
  }

  // --- projector: the burst ----------------------------------------------------------------------------

  var lane = document.getElementById("reaction-lane");

  function placeLane() {
    // Beside results the lane is the left column under the join panel: it starts where the panel ends.
    var panel = document.querySelector(".join-panel");
    if (!lane || !panel) return;
    var top = panel.getBoundingClientRect().bottom - app.getBoundingClientRect().top;
    lane.style.setProperty("--lane-top", Math.ceil(top + panel.offsetWidth * 0.08) + "px");
  }

  function burst(tick) {
    if (!lane || !on || (reduced && reduced.matches)) return;
    placeLane();
    var byKey = names();
    var keys = Object.keys(tick).filter(function (k) { return byKey[k] && tick[k] > 0; });
    var room = MAX_FLYING - lane.childElementCount;
    var sum = keys.reduce(function (n, k) { return n + tick[k]; }, 0);
    if (room <= 0 || !sum) return;
    keys.forEach(function (k) {
      // Each reaction's share of the free places, at least one: a lone 🤔 among a hundred 👏 still shows.
      var n = Math.max(1, Math.round((tick[k] / sum) * Math.min(room, sum)));
      for (var i = 0; i < n && lane.childElementCount < MAX_FLYING; i++) fly(byKey[k].emoji, i);
    });
  }

  function fly(emoji, i) {
    var node = el("span", { className: "flying", text: emoji });
    node.style.left = "calc((100% - 1.5em) * " + Math.random().toFixed(2) + ")"; // the whole emoji inside the lane
    node.style.animationDelay = Math.round(i * 90 + Math.random() * 250) + "ms";
    node.style.setProperty("--drift", Math.round((Math.random() - 0.5) * 30) + "%");
    node.addEventListener("animationend", function () { node.remove(); });
    setTimeout(function () { node.remove(); }, 5000); // a hidden tab never ends its animations
    lane.appendChild(node);
  }

  socket.on("reaction_tally", function (message) {
    if (segmentId !== null && message.segment_id !== segmentId) segmentId = message.segment_id;
    totals = message.totals || {};
    renderTotals(message.tick);
    if (role === "projector") burst(message.tick || {});
  });

  // --- control: the switch ---------------------------------------------------------------------------

  var toggle = document.getElementById("reactions-switch");
  var sayControl = Live.status(document.getElementById("reactions-control-status"));

  function renderSwitch() {
    if (!toggle) return;
    toggle.setAttribute("aria-checked", on ? "true" : "false");
    toggle.querySelector(".switch-state").textContent = on ? "On" : "Off";
  }

  if (toggle) {
    toggle.addEventListener("click", function () {
      var want = !on;
      sayControl(want ? "Switching reactions on…" : "Switching reactions off…");
      Live.send(socket, "reactions_switch", { on: want }, sayControl, function (ack) {
        apply(ack.reactions);
        sayControl(on ? "Reactions are on: phones show the bar." : "Reactions are off: phones and the projector no longer show them.");
      });
    });
  }
})();
