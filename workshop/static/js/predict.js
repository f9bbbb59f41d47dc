/* Predict the other side (verdict polls with the planner's switch on). The phone: after its vote, a card asks
   how the other side voted - a quick pick (the answer it expects their majority to give) or a split set with
   steppers that always add up to 100 % - editable while the poll is open, skippable. Every screen: on reveal,
   per side what it chose next to what the others predicted, and the gap in one line (the server words it).
   Marks (● ▲ ■ ◆ ▼ ★ per stance, the verdicts' icons) and words carry the meaning; colour only repeats them. */
(function () {
  "use strict";
  var el = Live.el;
  var VERDICTS = ["snog", "marry", "avoid"];
  var MARKS = ["\u25CF", "\u25B2", "\u25A0", "\u25C6", "\u25BC", "\u2605"]; // ● ▲ ■ ◆ ▼ ★, the stances' order
  var STEP = 10;

  function mark(index) {
    return el("span", { className: "side-mark side-" + index, "aria-hidden": "true", text: MARKS[index % MARKS.length] });
  }

  function sharesText(shares) {
    return VERDICTS.map(function (v) { return Live.LABELS[v] + " " + shares[v] + " %"; }).join(" · ");
  }

  // --- the phone ----------------------------------------------------------------------------------------

  var phone = { poll: null, voted: false, me: null, stances: [], mine: null, skipped: {}, splitting: false,
    split: null, target: null, box: null, say: null };

  function runKey(poll) { return poll.id + ":" + poll.round; }

  // A skip is remembered for this tab (sessionStorage), so a reload does not ask again; "Predict the other
  // side" brings the card back.
  function skipped(poll) {
    if (phone.skipped[runKey(poll)]) return true;
    try { return sessionStorage.getItem("predict-skipped:" + runKey(poll)) === "1"; } catch (e) { return false; }
  }

  function setSkipped(poll, on) {
    if (on) phone.skipped[runKey(poll)] = true;
    else delete phone.skipped[runKey(poll)];
    try {
      if (on) sessionStorage.setItem("predict-skipped:" + runKey(poll), "1");
      else sessionStorage.removeItem("predict-skipped:" + runKey(poll));
    } catch (e) { /* private mode: the skip lasts until a reload */ }
  }

  function sides() {
    var own = phone.me ? phone.me.stance : null;
    return phone.stances.filter(function (s) { return s !== own; });
  }

  function target() {
    var options = sides();
    if (phone.mine && options.indexOf(phone.mine.target) !== -1 && !phone.target) return phone.mine.target;
    return phone.target && options.indexOf(phone.target) !== -1 ? phone.target : options[0] || null;
  }

  function evenSplit() { return { snog: 34, marry: 33, avoid: 33 }; }

  function step(shares, answer, up) {
    // Move STEP points to (or from) one answer; the others give (take) them, so the three always add up to 100.
    var next = { snog: shares.snog, marry: shares.marry, avoid: shares.avoid };
    var others = VERDICTS.filter(function (v) { return v !== answer; });
    if (up) {
      var donor = others.reduce(function (a, b) { return next[b] >= next[a] ? b : a; });
      var give = Math.min(STEP, next[donor], 100 - next[answer]);
      next[donor] -= give;
      next[answer] += give;
    } else {
      var taker = others.reduce(function (a, b) { return next[b] < next[a] ? b : a; });
      var take = Math.min(STEP, next[answer]);
      next[answer] -= take;
      next[taker] += take;
    }
    return next;
  }

  function mineText(mine) {
    if (!mine) return "";
    return mine.pick ? "Your prediction: most of " + mine.target + " chose " + Live.LABELS[mine.pick] + "."
      : "Your prediction for " + mine.target + ": " + sharesText(mine.shares) + ".";
  }

  function send(payload) {
    var socket = Live.sockets["/live"];
    phone.say("Sending your prediction…");
    Live.send(socket, "predict", payload, phone.say, function (ack) {
      phone.mine = ack.prediction;
      phone.splitting = false;
      renderPhone();
      phone.say("Prediction received. You can change it while the poll is open.");
    });
  }

  function button(key, text, pressed, onClick, extra) {
    var b = el("button", { type: "button", "data-key": key, className: "button predict-button" + (extra ? " " + extra : ""),
      "aria-pressed": pressed ? "true" : "false" });
    if (typeof text === "string") b.textContent = text; else b.appendChild(text);
    b.addEventListener("click", onClick);
    return b;
  }

  function quickPicks(who) {
    var group = el("div", { className: "predict-picks", role: "group", "aria-label": "Most of " + who + " chose" });
    VERDICTS.forEach(function (v) {
      var chosen = phone.mine && phone.mine.pick === v && phone.mine.target === who;
      // Named "Predict Snog" (the visible word inside it): never confused with the vote's own "Snog" button.
      var b = el("button", { type: "button", "data-key": "predict-" + v, "aria-pressed": chosen ? "true" : "false",
        "aria-label": "Predict " + Live.LABELS[v], className: "answer answer-" + v + (chosen ? " chosen" : "") });
      if (window.Marks) b.appendChild(Marks.icon(v));
      b.appendChild(el("span", { text: Live.LABELS[v] }));
      b.addEventListener("click", function () { send({ poll_id: phone.poll.id, target: who, pick: v }); });
      group.appendChild(b);
    });
    return group;
  }

  function splitEditor(who) {
    var shares = phone.split;
    var box = el("div", { className: "predict-split", role: "group", "aria-label": "Your split for " + who });
    VERDICTS.forEach(function (v) {
      var less = button("split-less-" + v, "\u2212", false, function () { phone.split = step(phone.split, v, false); renderPhone(); }, "stepper");
      var more = button("split-more-" + v, "+", false, function () { phone.split = step(phone.split, v, true); renderPhone(); }, "stepper");
      less.removeAttribute("aria-pressed");
      more.removeAttribute("aria-pressed");
      less.setAttribute("aria-label", "Less " + Live.LABELS[v]);
      more.setAttribute("aria-label", "More " + Live.LABELS[v]);
      less.disabled = shares[v] === 0;
      more.disabled = shares[v] === 100;
      box.appendChild(el("div", { className: "split-row answer-" + v },
        el("span", { className: "split-name" }, window.Marks ? Marks.icon(v) : null, el("span", { text: Live.LABELS[v] })),
        less, el("output", { className: "split-value", "data-answer": v, "aria-live": "polite", text: shares[v] + " %" }), more));
    });
    box.appendChild(el("p", { className: "muted split-sum", text: "Always 100 % together." }));
    var go = button("split-send", "Send my split", false, function () {
      send({ poll_id: phone.poll.id, target: who, shares: phone.split });
    }, "primary");
    go.removeAttribute("aria-pressed");
    box.appendChild(go);
    return box;
  }

  function renderPhone() {
    var box = phone.box;
    if (!box) return;
    var active = document.activeElement;
    var key = active && box.contains(active) ? active.getAttribute("data-key") : null;
    box.textContent = "";
    var poll = phone.poll;
    if (!poll || !poll.predict || poll.kind !== "verdict" || !phone.voted) return;
    var who = target();
    if (!who) return;
    if (poll.state !== "open") {
      if (phone.mine) box.appendChild(el("p", { className: "predict-mine", text: mineText(phone.mine) }));
      return;
    }
    if (skipped(poll) && !phone.mine) {
      box.appendChild(button("predict-again", "Predict the other side", false, function () {
        setSkipped(poll, false);
        renderPhone();
      }, "small"));
      return;
    }
    var card = el("section", { className: "predict-card", "aria-labelledby": "predict-heading" });
    card.appendChild(el("h2", { id: "predict-heading", text: "Predict the other side" }));
    var options = sides();
    if (options.length > 1) {
      var chooser = el("div", { className: "predict-sides", role: "group", "aria-label": "Which side do you predict?" });
      options.forEach(function (s) {
        var index = phone.stances.indexOf(s);
        var b = button("side-" + index, el("span", {}, mark(index), document.createTextNode(" " + s)), s === who,
          function () { phone.target = s; renderPhone(); });
        chooser.appendChild(b);
      });
      card.appendChild(chooser);
    }
    card.appendChild(el("p", { className: "predict-question", id: "predict-question" },
      document.createTextNode("How do you think "), el("strong", { text: who }),
      document.createTextNode(" voted? Most of them chose…")));
    card.appendChild(quickPicks(who));
    if (phone.splitting) {
      card.appendChild(splitEditor(who));
    } else {
      card.appendChild(button("split-open", "Give a split instead", false, function () {
        phone.splitting = true;
        phone.split = phone.mine && phone.mine.target === who ? phone.mine.shares : evenSplit();
        renderPhone();
      }, "small"));
    }
    if (phone.mine) card.appendChild(el("p", { className: "predict-mine", text: mineText(phone.mine) }));
    if (!phone.mine) {
      card.appendChild(button("predict-skip", "Skip", false, function () {
        setSkipped(poll, true);
        phone.say("Skipped. You can still predict while the poll is open.");
        renderPhone();
      }, "small quiet"));
    }
    box.appendChild(card);
    var again = key && box.querySelector('[data-key="' + key + '"]');
    if (again) again.focus({ preventScroll: true });
  }

  function attachPhone(box, statusNode) {
    // phone.js calls update(poll, myVote) after each render; this module follows state and poll changes itself.
    phone.box = box;
    phone.say = Live.status(statusNode);
    var socket = Live.sockets["/live"];
    socket.on("state", function (state) {
      phone.me = state.me || null;
      phone.stances = state.workshop ? state.workshop.stances : [];
      phone.mine = state.my_prediction || null;
      phone.target = null;
      phone.splitting = false;
      renderPhone();
    });
    socket.on("poll_state", function (poll) {
      if (phone.mine && (phone.mine.poll_id !== poll.id || phone.mine.round !== poll.round)) {
        phone.mine = null;
        phone.target = null;
        phone.splitting = false;
        phone.say("");
      }
    });
  }

  function update(poll, myVote) {
    var changed = !phone.poll || !poll || phone.poll.id !== poll.id || phone.poll.round !== poll.round;
    phone.poll = poll;
    phone.voted = myVote !== null && myVote !== undefined;
    if (changed) phone.splitting = false;
    renderPhone();
  }

  // --- results: the projector's gap panel, the control screen's table, the phone's lines -----------------

  function plainOf(results) {
    var plain = {};
    Object.keys(results).forEach(function (k) { if (k !== "perception") plain[k] = results[k]; });
    return plain;
  }

  function stage(container, poll, results) {
    var gap = results.perception;
    if (!gap.sides.some(function (side) { return side.line; })) { // nobody predicted (enough): the usual results
      container.removeAttribute("data-shape");
      return Live.renderResults(container, poll, plainOf(results));
    }
    var key = poll.id + ":" + poll.round + ":" + JSON.stringify(gap) + ":" + results.total;
    if (container.getAttribute("data-shape") === key) return false;
    container.textContent = "";
    container.setAttribute("data-shape", key);
    container.removeAttribute("data-poll");
    var panel = el("section", { className: "perception", "aria-label": "Predict the other side" });
    // The rule in one line (live/perception.py RULE), then the counts.
    panel.appendChild(el("h3", { className: "perception-head", text: gap.rule.replace(/\.$/, "") + " · " +
      Live.plural(results.total, "vote") + " · " + Live.plural(gap.predictions, "prediction") }));
    var hidden = 0;
    // .split > .stance: with many sides the projector pages through them at reading size (projector.js fit).
    var sides = el("div", { className: "split gap-sides" });
    gap.sides.forEach(function (side) {
      if (side.hidden) { hidden++; return; }
      var block = el("article", { className: "gap-side stance", "data-stance": side.stance });
      block.appendChild(el("p", { className: "gap-line" }, mark(side.mark),
        el("span", { className: "gap-text", text: side.line || side.stance + " chose " + Live.LABELS[side.chose.answer] + ": " + side.chose.pct + " %." })));
      block.appendChild(figures("Chose", side.shares, side.chose.answer));
      if (side.predicted) block.appendChild(figures("Predicted", side.predicted.shares, side.predicted.answer));
      else block.appendChild(el("p", { className: "gap-few", text: "Too few predictions about " + side.stance + " to show." }));
      sides.appendChild(block);
    });
    panel.appendChild(sides);
    if (hidden) {
      panel.appendChild(el("p", { className: "gap-note", text: hidden + " group" + (hidden > 1 ? "s" : "") +
        " hidden so no one's vote or prediction can be worked out." }));
    }
    container.appendChild(panel);
    return true;
  }

  function figures(label, shares, top) {
    var row = el("p", { className: "gap-figures" }, el("span", { className: "gap-label", text: label + ":" }));
    VERDICTS.forEach(function (v) {
      row.appendChild(el("span", { className: "gap-share answer-" + v + (v === top ? " top" : "") },
        window.Marks ? Marks.icon(v) : null, el("span", { text: Live.LABELS[v] + " " + shares[v] + " %" })));
    });
    return row;
  }

  function table(gap) {
    var box = el("div", { className: "perception-table" });
    box.appendChild(el("h4", { text: "Predict the other side · " + Live.plural(gap.predictions, "prediction") }));
    var t = el("table", {});
    t.appendChild(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Side" }), el("th", { scope: "col", text: "Chose" }),
      el("th", { scope: "col", text: "Predicted by the others" }), el("th", { scope: "col", text: "Gap" }))));
    var body = el("tbody", {});
    gap.sides.forEach(function (side) {
      var name = el("th", { scope: "row" }, mark(side.mark || 0), document.createTextNode(" " + side.stance));
      if (side.hidden) {
        body.appendChild(el("tr", {}, name, el("td", { colspan: "3", text: "Hidden: under " + gap.min_group +
          " votes, or with the smallest groups (no one's vote or prediction can be worked out)" })));
        return;
      }
      body.appendChild(el("tr", {}, name,
        el("td", { text: Live.LABELS[side.chose.answer] + " " + side.chose.pct + " % (" + sharesText(side.shares) + ")" }),
        el("td", { text: side.predicted ? Live.LABELS[side.predicted.answer] + " " + side.predicted.pct + " % (" +
          sharesText(side.predicted.shares) + "; " + Live.plural(side.predicted.n, "prediction") + " by " + side.by + ")"
          : "Too few predictions (under " + gap.min_group + ")" }),
        el("td", { text: side.line || "–" })));
    });
    t.appendChild(body);
    box.appendChild(t);
    return box;
  }

  function lines(gap) {
    // A phone: the gap in the words the projector shows, one line per side.
    var list = el("ul", { className: "perception-table perception-lines", "aria-label": "Predict the other side" });
    gap.sides.forEach(function (side) {
      if (!side.hidden && side.line) list.appendChild(el("li", {}, mark(side.mark), el("span", { className: "gap-text", text: side.line })));
    });
    return list;
  }

  function render(container, poll, results) {
    // Live.renderResults hands results with a perception here: the projector shows the gap instead of the split.
    if (document.body.classList.contains("projector")) return stage(container, poll, results);
    var plain = plainOf(results);
    var inner = container.querySelector(":scope > .results-plain");
    if (!inner) {
      container.textContent = "";
      inner = el("div", { className: "results-plain" });
      container.appendChild(inner);
    }
    var rebuilt = Live.renderResults(inner, poll, plain);
    var old = container.querySelector(":scope > .perception-table");
    var fresh = document.body.classList.contains("control") ? table(results.perception) : lines(results.perception);
    if (old) container.replaceChild(fresh, old); else container.appendChild(fresh);
    return rebuilt;
  }

  window.Predict = { attachPhone: attachPhone, update: update, render: render, step: step };
})();
