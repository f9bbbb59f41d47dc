/* Shared helpers for the live screens: socket connection, DOM building, result bars.
   Every piece of user text goes through textContent, never innerHTML. */
(function () {
  "use strict";
  var LABELS = { snog: "Snog", marry: "Marry", avoid: "Avoid" };

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
    return socket;
  }

  function label(poll, answer) {
    if (poll.kind === "choice") return poll.options[Number(answer)];
    return LABELS[answer] || answer;
  }

  function bar(name, count, total) {
    var pct = total ? Math.round((100 * count) / total) : 0;
    var fill = el("span", { className: "bar-fill" });
    fill.style.width = pct + "%";
    return el("div", { className: "bar" },
      el("span", { className: "bar-label", text: name }),
      el("span", { className: "bar-track" }, fill),
      el("span", { className: "bar-value", text: pct + "% (" + count + ")" }));
  }

  function counts(poll, data, total) {
    var box = el("div", { className: "bars" });
    if (poll.kind === "classic") {
      poll.options.forEach(function (item, i) {
        var row = data[i] || {};
        var sum = (row.snog || 0) + (row.marry || 0) + (row.avoid || 0);
        var group = el("div", { className: "classic-item" }, el("h4", { text: item }));
        ["snog", "marry", "avoid"].forEach(function (v) { group.appendChild(bar(LABELS[v], row[v] || 0, sum)); });
        box.appendChild(group);
      });
      return box;
    }
    poll.answers.forEach(function (a) { box.appendChild(bar(label(poll, a), data[a] || 0, total)); });
    return box;
  }

  function renderResults(container, poll, results) {
    container.textContent = "";
    if (!results) return;
    container.appendChild(el("h3", { text: "Results · " + results.total + (results.total === 1 ? " vote" : " votes") }));
    container.appendChild(counts(poll, results.counts, results.total));
    var split = el("div", { className: "split" });
    var hidden = 0;
    (results.by_stance || []).forEach(function (group) {
      if (group.hidden) { hidden++; return; }
      split.appendChild(el("section", { className: "stance" },
        el("h4", { text: group.stance + " (" + group.total + ")" }),
        counts(poll, group.counts, group.total)));
    });
    if (split.children.length || hidden) {
      container.appendChild(el("h3", { text: "By stance" }));
      container.appendChild(split);
    }
    if (hidden) {
      container.appendChild(el("p", { className: "muted",
        text: hidden + " group" + (hidden > 1 ? "s" : "") + " hidden so no one's vote can be worked out (groups under " +
          results.min_group + " votes, and the next smallest while those add up to fewer)." }));
    }
  }

  window.Live = { el: el, connect: connect, renderResults: renderResults, label: label, LABELS: LABELS };
})();
