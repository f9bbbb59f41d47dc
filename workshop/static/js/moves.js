/* Control screen: the "Who moved" panel (docs/realtime.md, "Who moved"), on the page's own /live socket.
   For the current poll once it has run twice: the flows from the last run but one to the last (the server's
   SVG, live/sankey.py, with small flows merged into "other moves"), a side selector (everyone, or one side),
   and a button that puts the diagram on the projector and takes it off again (aria-pressed; keyboard: it is a
   button, and W anywhere on the screen). The panel asks with `moves_get`, the button sends `moves_show`. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var socket = window.Live && Live.sockets["/live"];
  var panel = document.getElementById("moves-panel");
  if (!app || !socket || !panel) return;
  var $ = function (id) { return document.getElementById(id); };
  var say = Live.status($("moves-status"));
  var polls = {}; // id -> {id, prompt, round, state, kind, position}
  var focus = null; // the poll the control screen is on (the last one opened or changed)
  var onScreen = null; // what the projector shows: the `moves` payload while shown, else null
  var shown = null; // the panel's payload (moves_get / moves_show acks)
  var side = ""; // "" everyone, else a stance
  var asked = 0;
  var KINDS = { verdict: true, choice: true, scale: true };

  function target() {
    if (onScreen) return polls[onScreen.poll_id] || null;
    var poll = focus && polls[focus];
    return poll && poll.round >= 2 && KINDS[poll.kind] ? poll : null;
  }

  function ask() {
    var poll = target();
    panel.hidden = !poll;
    if (!poll) { shown = null; return; }
    asked = Date.now();
    socket.timeout(8000).emit("moves_get", { poll_id: poll.id, side: side || null }, function (err, ack) {
      if (err || !ack) return say("No answer from the server: check the connection.", true);
      if (!ack.ok) { shown = null; render(ack.error); return; }
      shown = ack.moves;
      render();
    });
  }

  function render(problem) {
    var poll = target();
    panel.hidden = !poll;
    if (!poll) return;
    $("moves-poll").textContent = "Poll " + (poll.position + 1) + ": " + poll.prompt;
    var button = $("moves-toggle");
    var live = !!(onScreen && onScreen.poll_id === poll.id);
    button.setAttribute("aria-pressed", live ? "true" : "false");
    button.querySelector(".label").textContent = live ? "Take who moved off the projector" : "Show who moved on the projector";
    renderSides();
    if (problem || !shown) {
      $("moves-headline").textContent = problem || "";
      $("moves-figure").textContent = "";
      button.disabled = !!problem;
      return;
    }
    button.disabled = false;
    $("moves-headline").textContent = "Round " + shown.first + " → round " + shown.last + ": " + shown.headline;
    $("moves-figure").innerHTML = shown.svg; // drawn and escaped by the server (live/sankey.py)
  }

  function renderSides() {
    var select = $("moves-side");
    var sides = (shown && shown.sides) || [];
    var want = [""].concat(sides.map(function (s) { return s.stance; }));
    var have = Array.prototype.map.call(select.options, function (o) { return o.value; });
    if (want.join("\n") === have.join("\n")) { select.value = side; return; }
    select.textContent = "";
    select.appendChild(new Option("Everyone", ""));
    sides.forEach(function (s) {
      var name = (s.mark ? s.mark + " " : "") + s.stance + (s.hidden ? " (too few to show)" : "");
      select.appendChild(new Option(name, s.stance));
    });
    select.value = side;
  }

  function toggle() {
    var poll = target();
    if (!poll) return say("Who moved needs a poll that has run twice: re-run it first.", true);
    var live = !!(onScreen && onScreen.poll_id === poll.id);
    var payload = { poll_id: poll.id, shown: !live, side: side || null };
    Live.send(socket, "moves_show", payload, say, function (ack) {
      onScreen = ack.moves.shown ? ack.moves : null;
      shown = ack.moves;
      render();
      say(ack.moves.shown ? "Who moved is on the projector: " + ack.moves.headline + "."
        : "Who moved is off the projector.");
    });
  }

  function remember(poll) {
    polls[poll.id] = { id: poll.id, prompt: poll.prompt, round: poll.round, state: poll.state, kind: poll.kind,
      position: poll.position };
  }

  $("moves-toggle").addEventListener("click", toggle);
  $("moves-side").addEventListener("change", function () {
    side = $("moves-side").value;
    var poll = target();
    if (onScreen && poll && onScreen.poll_id === poll.id) {
      // Already on the projector: the new side goes up there too.
      Live.send(socket, "moves_show", { poll_id: poll.id, shown: true, side: side || null }, say, function (ack) {
        onScreen = ack.moves;
        shown = ack.moves;
        render();
        say("The projector shows who moved: " + (side || "everyone") + ".");
      });
    } else {
      ask();
    }
  });
  document.addEventListener("keydown", function (event) {
    // W: the same as the button (off with the other single-key shortcuts, and never while typing).
    if (event.key.toLowerCase() !== "w" || event.ctrlKey || event.altKey || event.metaKey || event.repeat) return;
    var keys = $("keys-enabled");
    var t = event.target;
    if ((keys && !keys.checked) || document.querySelector("dialog[open]")) return;
    if (t && t.closest && t.closest("input:not([type=checkbox]):not([type=radio]), textarea, select, [contenteditable]")) return;
    if (panel.hidden) return;
    event.preventDefault();
    toggle();
  });

  socket.on("state", function (state) {
    polls = {};
    (state.polls || []).forEach(remember);
    focus = state.poll ? state.poll.id : null;
    onScreen = state.moves && state.moves.shown ? state.moves : null;
    if (onScreen) side = onScreen.side || "";
    ask();
  });
  socket.on("poll_state", function (poll) {
    var before = polls[poll.id];
    remember(poll);
    if (poll.state === "open") onScreen = null;
    var changed = focus !== poll.id || !before || before.round !== poll.round || before.state !== poll.state;
    focus = poll.id;
    if (changed) ask(); else render();
  });
  socket.on("poll_tally", function (tally) {
    // A re-run still open: the flows change with its votes; asked again at most every two seconds.
    var poll = target();
    if (poll && tally.id === poll.id && Date.now() - asked > 2000) ask();
  });
  socket.on("moves", function (message) {
    onScreen = message && message.shown ? message : null;
    if (onScreen) { side = onScreen.side || ""; shown = Object.assign({}, shown || {}, onScreen); }
    render();
  });
})();
