/* Phone: ask (named or anonymous), upvote, sort the wall, follow my questions' status. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var form = document.getElementById("q-ask");
  if (!app || !form) return;
  var textBox = document.getElementById("q-text");
  var nameBox = document.getElementById("q-name");
  var chars = document.getElementById("q-chars");
  var askStatus = document.getElementById("q-ask-status");
  var voteStatus = document.getElementById("q-vote-status");
  var wallList = document.getElementById("q-wall");
  var answeredList = document.getElementById("q-answered");
  var mineList = document.getElementById("q-mine");
  var wall = null;
  var mine = { questions: [], upvotes: [] };
  var sort = "top";
  var sending = false;
  var STATUS = { pending: "Waiting for approval", live: "On the wall", answered: "Answered",
    dismissed: "Dismissed", merged: "Merged with a similar question" };
  var HINTS = { top: "Most upvoted first.", new: "Newest first.",
    both: "Questions people of different stances want: ranked by the support of the smaller side." };
  var socket = Live.connect("/questions", { code: app.dataset.code, role: "phone" });

  var sayAsk = Live.status(askStatus);
  var sayVote = Live.status(voteStatus);

  function mineIds() {
    var ids = {};
    mine.questions.forEach(function (q) { ids[q.id] = true; });
    return ids;
  }

  function upvoted(q) {
    return [q.id].concat(q.merged_ids || []).some(function (id) { return mine.upvotes.indexOf(id) !== -1; });
  }

  function upvote(q) {
    Live.send(socket, "upvote", { question_id: q.id }, sayVote, function (ack) {
      var gone = [q.id].concat(q.merged_ids || []);
      mine.upvotes = mine.upvotes.filter(function (id) { return gone.indexOf(id) === -1; });
      if (ack.upvoted) mine.upvotes.push(ack.question_id);
      q.votes = ack.votes;
      sayVote(ack.upvoted ? "Upvoted." : "Upvote taken back.");
      renderWall();
    });
  }

  function controls(q, own) {
    var box = el("div", { className: "q-actions" });
    if (q.highlighted) box.appendChild(el("span", { className: "tag q-now-tag", text: "Now answering" }));
    if (own) {
      box.appendChild(el("span", { className: "tag", text: "Your question" }));
    } else if (q.status === "live") {
      var on = upvoted(q);
      var b = el("button", { type: "button", className: "button small q-upvote" + (on ? " chosen" : ""),
        "aria-pressed": on ? "true" : "false", "aria-label": (on ? "Take back upvote: " : "Upvote: ") + q.text,
        text: on ? "▲ Upvoted" : "▲ Upvote" });
      b.addEventListener("click", function () { upvote(q); });
      box.appendChild(b);
    }
    return box;
  }

  function renderWall() {
    if (!wall) return;
    var map = Questions.byId(wall);
    var own = mineIds();
    Questions.renderCounts(document.getElementById("q-counts"), wall.counts);
    wallList.textContent = "";
    wall.order[sort].forEach(function (id) { wallList.appendChild(Questions.item(map[id], controls(map[id], own[id]))); });
    if (!wall.order[sort].length) wallList.appendChild(el("li", { className: "muted", text: "No questions on the wall yet. Ask the first one!" }));
    answeredList.textContent = "";
    wall.answered.forEach(function (id) { answeredList.appendChild(Questions.item(map[id], controls(map[id], own[id]))); });
    if (!wall.answered.length) answeredList.appendChild(el("li", { className: "muted", text: "None yet." }));
    document.getElementById("q-name-field").hidden = !wall.allow_names;
    document.getElementById("q-anon").hidden = wall.allow_names;
    document.getElementById("q-queue-hint").hidden = wall.moderation !== "queue";
  }

  function statusText(q) {
    if (q.status === "dismissed") return "Dismissed: " + (q.dismiss_label || "no reason given");
    return STATUS[q.status] + (q.highlighted ? " – now answering" : "");
  }

  function renderMine() {
    mineList.textContent = "";
    mine.questions.forEach(function (q) {
      mineList.appendChild(Questions.item(q, el("p", { className: "q-status q-status-" + q.status, text: statusText(q) })));
    });
    if (!mine.questions.length) mineList.appendChild(el("li", { className: "muted", text: "You have not asked anything yet." }));
  }

  function upsertMine(q) {
    var i = mine.questions.findIndex(function (m) { return m.id === q.id; });
    if (i === -1) mine.questions.unshift(q); else mine.questions[i] = q;
    renderMine();
    renderWall();
  }

  function counter() {
    chars.textContent = textBox.value.length + " / 280";
  }

  textBox.addEventListener("input", counter);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (sending) return;
    if (!textBox.value.trim()) return sayAsk("Type a question first.", true);
    sending = true;
    sayAsk("Sending…");
    var payload = { text: textBox.value };
    if (wall && wall.allow_names && nameBox.value.trim()) payload.name = nameBox.value;
    var refused = function (text, bad) { sending = false; sayAsk(text, bad); };
    Live.send(socket, "ask", payload, refused, function (ack) {
      sending = false;
      textBox.value = "";
      counter();
      sayAsk(ack.question.status === "pending"
        ? "Thanks! A facilitator will review your question before it goes on the wall."
        : "Your question is on the wall.");
      upsertMine(ack.question);
    }, "No answer from the server – your question was not sent. Try again.");
  });
  Array.prototype.forEach.call(document.querySelectorAll(".q-sort"), function (button) {
    button.addEventListener("click", function () {
      sort = button.dataset.sort;
      document.getElementById("q-sort-hint").textContent = HINTS[sort];
      Array.prototype.forEach.call(document.querySelectorAll(".q-sort"), function (b) {
        b.setAttribute("aria-pressed", b === button ? "true" : "false");
      });
      renderWall();
    });
  });

  socket.on("wall", function (data) { wall = data; renderWall(); });
  // After the first whole wall the server sends only what changed (docs/realtime-questions.md).
  socket.on("wall_delta", function (delta) {
    if (!wall || wall.version < delta.base) { resync(); return; }  // missed a step: ask for the whole wall
    if (delta.version <= wall.version) return;  // this phone's wall is already newer
    var map = Questions.byId(wall);
    delta.removed.forEach(function (id) { delete map[id]; });
    delta.changed.forEach(function (q) { map[q.id] = q; });
    var next = { questions: Object.keys(map).map(function (id) { return map[id]; }) };
    Object.keys(delta).forEach(function (key) {
      if (key !== "base" && key !== "changed" && key !== "removed") next[key] = delta[key];
    });
    wall = next;
    renderWall();
  });

  function resync() {
    socket.emit("state", {}, function (ack) {
      if (!ack || !ack.ok) return;
      wall = ack.wall;
      if (ack.mine) mine = ack.mine;
      renderMine();
      renderWall();
    });
  }
  socket.on("mine", function (data) { mine = data; renderMine(); renderWall(); });
  socket.on("my_question", function (q) {
    var before = mine.questions.find(function (m) { return m.id === q.id; });
    upsertMine(q);
    if (before && before.status !== q.status) sayAsk("Your question: " + statusText(q) + ".");
  });
  counter();
  renderMine();
})();
