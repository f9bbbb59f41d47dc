/* Control: the moderation queue and the wall with approve / dismiss / merge / highlight / answered / undo. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var panel = document.getElementById("questions-control");
  if (!app || !panel) return;
  var status = document.getElementById("q-control-status");
  var queueMode = document.getElementById("q-queue-mode");
  var filter = document.getElementById("q-filter");
  var wall = null;
  var LABELS = { approve: "approval", dismiss: "dismissal", merge: "merge", highlight: "highlight",
    unhighlight: "stop highlighting", answer: "answered" };
  var socket = Live.connect("/questions", { code: app.dataset.code, role: "control" });

  var say = Live.status(status);

  function send(event, payload, done) {
    Live.send(socket, event, payload, say, function () { say(done); });
  }

  function button(label, event, payload, done, cls, name) {
    var b = el("button", { type: "button", className: "button small" + (cls ? " " + cls : ""), text: label });
    if (name) b.setAttribute("aria-label", name);
    b.addEventListener("click", function () { send(event, payload, done); });
    return b;
  }

  function short(text) { return text.length > 60 ? text.slice(0, 59) + "…" : text; }

  function about(q, where) {
    // What a button acts on, in its accessible name: "Approve – question 12: Who answers ..." (the visible
    // label stays short); the copy under "Now answering" says so, so no two buttons share a name.
    return " – question " + q.id + ": " + short(q.text) + (where ? " (" + where + ")" : "");
  }

  function picker(label, options, go, q, cls, where, what) {
    // A labelled select plus its button, e.g. "Dismiss as [Duplicate] (Dismiss)".
    var select = el("select", { "aria-label": what + about(q, where) });
    options.forEach(function (o) { select.appendChild(el("option", { value: o[0], text: o[1] })); });
    var b = el("button", { type: "button", className: "button small" + (cls ? " " + cls : ""), text: label,
      "aria-label": label + about(q, where) });
    b.addEventListener("click", function () { go(select.value); });
    return el("span", { className: "q-picker" }, select, b);
  }

  function actions(q, where) {
    var box = el("div", { className: "actions q-actions" });
    var live = q.status === "live";
    function named(label, event, done, cls) {
      return button(label, event, { question_id: q.id }, done, cls, label + about(q, where));
    }
    if (q.status === "pending") box.appendChild(named("Approve", "approve", "Approved: on the wall.", "primary"));
    if (live) {
      box.appendChild(q.highlighted
        ? named("Stop highlighting", "unhighlight", "No longer highlighted.")
        : named("Highlight", "highlight", "Now answering on the projector.", "primary"));
      box.appendChild(named("Mark answered", "mark_answered", "Marked answered."));
    }
    if (live || q.status === "pending") {
      var reasons = Object.keys(wall.dismiss_reasons).map(function (k) { return [k, wall.dismiss_reasons[k]]; });
      box.appendChild(picker("Dismiss", reasons, function (reason) {
        send("dismiss", { question_id: q.id, reason: reason }, "Dismissed.");
      }, q, "dismiss", where, "Reason to dismiss"));
      var targets = wall.questions.filter(function (t) {
        return t.id !== q.id && (t.status === "live" || t.status === "answered");
      }).map(function (t) { return [String(t.id), "#" + t.id + " " + short(t.text)]; });
      if (targets.length) {
        box.appendChild(picker("Merge into", targets, function (into) {
          send("merge", { question_id: q.id, into_id: Number(into) }, "Merged: votes combined.");
        }, q, "", where, "Question to merge into"));
      }
    }
    var last = wall.last_actions[String(q.id)];
    if (last) {
      var undo = "Undo " + (LABELS[last.action] || last.action);
      box.appendChild(button(undo, "undo", { action_id: last.id }, "Undone.", "", undo + about(q, where)));
    }
    return box;
  }

  function details(q) {
    var parts = ["#" + q.id];
    var mix = Object.keys(q.by_stance || {}).map(function (s) { return s + " " + q.by_stance[s]; });
    if (mix.length) parts.push("Upvoted by " + mix.join(", "));
    if (q.held_reason && q.status === "pending") parts.push("Held: " + (q.held_reason === "queue" ? "approval queue" : q.held_reason));
    if (q.status === "dismissed") parts.push("Dismissed: " + (q.dismiss_label || ""));
    if (q.status === "merged") parts.push("Merged into #" + q.merged_into_id);
    if (q.status === "answered") parts.push("Answered");
    return el("p", { className: "muted q-details", text: parts.join(" · ") });
  }

  function matching(questions) {
    // The filter field narrows every list to questions containing its words (a long wall, one question to find).
    var words = filter ? filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
    return questions.filter(function (q) {
      var text = (q.text + " " + (q.name || "") + " #" + q.id).toLowerCase();
      return words.every(function (w) { return text.indexOf(w) !== -1; });
    });
  }

  function fill(id, questions, empty) {
    var list = document.getElementById(id);
    list.textContent = "";
    questions = matching(questions);
    questions.forEach(function (q) {
      var li = Questions.item(q, details(q));
      li.appendChild(actions(q));
      list.appendChild(li);
    });
    if (!questions.length && filter && filter.value.trim()) empty = "No question here matches the filter.";
    if (!questions.length) list.appendChild(el("li", { className: "muted", text: empty }));
  }

  function render() {
    var map = Questions.byId(wall);
    Questions.renderCounts(document.getElementById("q-counts"), wall.counts);
    queueMode.checked = wall.moderation === "queue";
    var pending = wall.questions.filter(function (q) { return q.status === "pending"; });
    document.getElementById("q-queue-count").textContent = String(pending.length);
    fill("q-queue", pending, "No questions waiting.");
    fill("q-wall", wall.order.top.map(function (id) { return map[id]; }), "No questions on the wall.");
    fill("q-done", wall.questions.filter(function (q) {
      return q.status === "answered" || q.status === "dismissed" || q.status === "merged";
    }).reverse(), "None yet.");
    var now = document.getElementById("q-now");
    now.textContent = "";
    if (wall.highlighted) {
      var h = map[wall.highlighted.id];
      var li = Questions.item(h, actions(h, "now answering"));
      now.appendChild(el("ol", { className: "q-list" }, li));
    } else {
      now.appendChild(el("p", { className: "muted", text: "Nothing highlighted." }));
    }
  }

  queueMode.addEventListener("change", function () {
    send("set_moderation", { mode: queueMode.checked ? "queue" : "post" },
      queueMode.checked ? "New questions now wait for approval." : "New questions now go straight to the wall.");
  });
  document.getElementById("q-undo-last").addEventListener("click", function () { send("undo", {}, "Undone."); });
  if (filter) filter.addEventListener("input", function () { if (wall) render(); });
  socket.on("wall", function (data) { wall = data; render(); });
})();
