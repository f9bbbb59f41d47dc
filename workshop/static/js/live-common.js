/* Shared helpers for the live screens: socket connection, DOM building, answer marks, result bars.
   Every piece of user text goes through textContent, never innerHTML. */
(function () {
  "use strict";
  var LABELS = { snog: "Snog", marry: "Marry", avoid: "Avoid" };
  var reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "className") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    for (var i = 2; i < arguments.length; i++) {
      if (arguments[i]) node.appendChild(arguments[i]);
    }
    return node;
  }

  function icon(answer) {
    // A second mark besides colour (static/js/marks.js draws the verdicts'); choice options get their letter.
    return (window.Marks && Marks.icon(answer)) || el("span", { className: "mark mark-letter", "aria-hidden": "true",
      text: String.fromCharCode(65 + Number(answer)) });
  }

  function transports() {
    // ?transport=polling forces long-polling (venues whose proxies block websockets).
    var forced = new URLSearchParams(window.location.search).get("transport");
    return forced === "polling" ? ["polling"] : ["websocket", "polling"];
  }

  function connect(namespace, auth) {
    // Websocket first (cheapest per message); tryAllTransports falls back to long-polling on its own when a
    // venue's proxy refuses websockets, so nobody has to know about ?transport=polling.
    var socket = io(namespace, { auth: auth, transports: transports(), tryAllTransports: true });
    var conn = document.getElementById("conn");
    function show(text, cls) {
      if (!conn) return;
      conn.textContent = text;
      conn.className = "conn " + cls;
    }
    socket.on("connect", function () { show("Live", "ok"); });
    socket.on("disconnect", function () { show("Reconnecting…", "bad"); });
    socket.on("connect_error", function (err) {
      show(err && err.message === "join the workshop first" ? "Please join again" : "Offline – retrying…", "bad");
    });
    Live.sockets[namespace] = socket;
    return socket;
  }

  function status(node, extra) {
    // say(text, bad) for a status line: what was sent and what the server answered ("data-ack": ok or error).
    return function say(text, bad) {
      if (!node) return;
      node.textContent = text;
      node.className = "status" + (extra ? " " + extra : "") + (bad ? " bad" : "");
      node.setAttribute("data-ack", bad ? "error" : "ok");
    };
  }

  function send(socket, event, payload, say, onOk, noAnswer) {
    // Emit and wait for the acknowledgement: no answer within 8 s, or {ok: false}, is said on the status line;
    // onOk(ack) runs only for {ok: true}.
    socket.timeout(8000).emit(event, payload, function (err, ack) {
      if (err) return say(noAnswer || "No answer from the server – try again.", true);
      if (!ack.ok) return say(ack.error, true);
      onOk(ack);
    });
  }

  function label(poll, answer) {
    if (poll.kind === "choice") return poll.options[Number(answer)];
    return LABELS[answer] || answer;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function bar(key, answer, name, count, total) {
    var pct = total ? Math.round((100 * count) / total) : 0;
    var fill = el("span", { className: "bar-fill fill-" + answer });
    fill.style.width = pct + "%";
    return el("div", { className: "bar answer-" + answer, "data-cell": key },
      el("span", { className: "bar-label" }, icon(answer), el("span", { className: "bar-name", text: name })),
      el("span", { className: "bar-track" }, fill),
      el("span", { className: "bar-value", "data-pct": String(pct), "data-count": String(count),
        text: pct + "% (" + count + ")" }));
  }

  function counts(poll, data, total, group) {
    var box = el("div", { className: "bars" });
    if (poll.kind === "classic") {
      poll.options.forEach(function (item, i) {
        var row = data[i] || {};
        var sum = (row.snog || 0) + (row.marry || 0) + (row.avoid || 0);
        var block = el("div", { className: "classic-item" }, el("h4", { text: item }));
        var top = ["snog", "marry", "avoid"].reduce(function (a, b) { return (row[b] || 0) > (row[a] || 0) ? b : a; });
        ["snog", "marry", "avoid"].forEach(function (v) {
          var cell = bar(group + "|" + i + "|" + v, v, LABELS[v], row[v] || 0, sum);
          if (v === top && sum) cell.classList.add("top"); // the projector's stance columns show each item's top verdict
          block.appendChild(cell);
        });
        box.appendChild(block);
      });
      return box;
    }
    poll.answers.forEach(function (a) { box.appendChild(bar(group + "|" + a, a, label(poll, a), data[a] || 0, total)); });
    return box;
  }

  function hiddenNote(hidden, results) {
    return el("p", { className: "muted split-note" },
      document.createTextNode(hidden + " group" + (hidden > 1 ? "s" : "") + " hidden so no one's vote can be worked out"),
      el("span", { className: "split-note-detail", text: " (groups under " + results.min_group +
        " votes, and the next smallest while those add up to fewer)" }), document.createTextNode("."));
  }

  function build(poll, results) {
    var box = el("div", { className: "results-grid kind-" + poll.kind });
    var overall = el("section", { className: "overall" },
      el("h3", { "data-cell": "total", text: "Results · " + plural(results.total, "vote") }),
      counts(poll, results.counts, results.total, "all"));
    box.appendChild(overall);
    box.style.setProperty("--rows", String(overall.querySelectorAll("h3, h4, .bar").length)); // cells per column
    var split = el("div", { className: "split" });
    var hidden = 0;
    (results.by_stance || []).forEach(function (group) {
      if (group.hidden) { hidden++; return; }
      split.appendChild(el("section", { className: "stance", "data-stance": group.stance },
        el("h4", { "data-cell": "n|" + group.stance, text: group.stance + " (" + group.total + ")" }),
        counts(poll, group.counts, group.total, group.stance)));
    });
    if (split.children.length || hidden) {
      box.appendChild(el("section", { className: "by-stance" }, el("h3", { className: "by-stance-heading", text: "By stance" }),
        split));
    }
    // The note sits outside the grid: the projector lays the grid's cells out as one aligned table.
    return el("div", { className: "results-wrap" }, box, hidden ? hiddenNote(hidden, results) : null);
  }

  function shape(node) {
    // Same cells in the same order: the new results can be poured into the old DOM (bars then animate).
    return Array.prototype.map.call(node.querySelectorAll("[data-cell]"), function (c) {
      return c.getAttribute("data-cell");
    }).join("/") + "#" + node.querySelectorAll(".split-note").length;
  }

  function tween(node, text, pct, count) {
    var from = [Number(node.getAttribute("data-pct")), Number(node.getAttribute("data-count"))];
    node.setAttribute("data-pct", String(pct));
    node.setAttribute("data-count", String(count));
    if (reducedMotion && reducedMotion.matches || (from[0] === pct && from[1] === count)) {
      node.textContent = text;
      return;
    }
    var start = performance.now();
    node.classList.add("changed");
    (function step(now) {
      var t = Math.min(1, (now - start) / 450);
      node.textContent = Math.round(from[0] + (pct - from[0]) * t) + "% (" + Math.round(from[1] + (count - from[1]) * t) + ")";
      if (t < 1) requestAnimationFrame(step); else { node.textContent = text; node.classList.remove("changed"); }
    })(start);
  }

  function pour(old, fresh) {
    var cells = old.querySelectorAll("[data-cell]");
    fresh.querySelectorAll("[data-cell]").forEach(function (cell, i) {
      var target = cells[i];
      if (!cell.classList.contains("bar")) { target.textContent = cell.textContent; return; }
      target.querySelector(".bar-fill").style.width = cell.querySelector(".bar-fill").style.width;
      var value = cell.querySelector(".bar-value");
      tween(target.querySelector(".bar-value"), value.textContent, Number(value.getAttribute("data-pct")),
        Number(value.getAttribute("data-count")));
    });
  }

  function renderResults(container, poll, results) {
    if (!results) { container.textContent = ""; container.removeAttribute("data-shape"); return false; }
    if (poll.kind === "scale" && window.Scale) return Scale.render(container, poll, results); // static/js/scale.js
    if (poll.kind === "text" && window.OpenText) return OpenText.render(container, poll, results); // static/js/text.js
    if (results.perception && window.Predict) return Predict.render(container, poll, results); // static/js/predict.js
    var fresh = build(poll, results);
    var old = container.firstElementChild;
    if (old && container.getAttribute("data-poll") === poll.id + ":" + poll.round && shape(old) === shape(fresh)) {
      pour(old, fresh);
      return false;
    }
    container.textContent = "";
    container.setAttribute("data-poll", poll.id + ":" + poll.round);
    container.appendChild(fresh);
    return true; // rebuilt: a screen that fits its content to the viewport measures again
  }

  function clock(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    return Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
  }

  function countdown(poll, offset) {
    // Seconds left on the poll's countdown by the server's clock (offset: server minus local), or null.
    if (!poll || poll.state !== "open" || !poll.closes_at) return null;
    return poll.closes_at - (Date.now() / 1000 + offset);
  }

  window.Live = { el: el, connect: connect, status: status, send: send, renderResults: renderResults, label: label, LABELS: LABELS, icon: icon,
    plural: plural, clock: clock, countdown: countdown, sockets: {} };
})();
