/* Open-text polls: the phone's answer box (what it sent, remove while open), the projector's word cloud laid
   out by d3-cloud (vendor/d3.layout.cloud-1.2.9.js) from the counts the server sends, coloured by the side
   that gave each word (shared words in the shared colour, underlined and placed first, so in the middle),
   the phone's short list and the control screen's full list with hide/show and held answers. */
(function () {
  "use strict";
  var el = Live.el;
  var drafts = {}; // poll id -> what the phone was typing (a re-render keeps it)
  var SIDES = 6; // stance colours --side-0 .. --side-5 (stage.css, app.css)
  // Colour never alone: each side's words (and its legend entry) also carry a shape, one per stance in the
  // legend's order; shared words a heavy cross (besides their underline); words of unnamed groups none.
  // Text glyphs (DejaVu Sans has them all) so d3-cloud measures the mark with the word.
  var MARKS = ["\u25CF", "\u25B2", "\u25A0", "\u25C6", "\u25BC", "\u2605"]; // ● ▲ ■ ◆ ▼ ★
  var SHARED_MARK = "\u271A"; // ✚

  function socket() { return Live.sockets["/live"]; }

  function sides(results, poll) {
    // Each shown stance's colour index, in the workshop's order (the legend's order too).
    var index = {};
    (results.stances || []).forEach(function (s, i) { index[s] = i % SIDES; });
    (results.by_stance || []).forEach(function (g, i) { if (!(g.stance in index)) index[g.stance] = i % SIDES; });
    return index;
  }

  function colour(word, index) {
    if (word.shared) return "shared";
    return word.sides.length ? "side-" + index[word.sides[0]] : "neutral";
  }

  function mark(word, index) {
    if (word.shared) return SHARED_MARK;
    return word.sides.length ? MARKS[index[word.sides[0]]] : "";
  }

  function markNode(glyph) {
    return el("span", { className: "cloud-mark", "aria-hidden": "true", text: glyph });
  }

  function people(n) { return n === 1 ? "1 person" : n + " people"; }

  function names(list) {
    return list.length < 2 ? list.join("") : list.slice(0, -1).join(", ") + " and " + list[list.length - 1];
  }

  function who(word) {
    if (word.shared) return "shared by " + names(word.sides);
    return word.sides.length ? word.sides[0] : "smaller groups";
  }

  // --- the phone: answer, see what was sent, remove -------------------------------------------------------

  function input(poll, mine, hooks) {
    // hooks.say(text, bad) for the status line, hooks.update(list) after a change the server acknowledged.
    var rules = poll.text || { per_person: 1, max_length: 25 };
    var sent = Array.isArray(mine) ? mine : [];
    var open = poll.state === "open";
    var box = el("div", { className: "text-input" });
    var full = sent.length >= rules.per_person;
    var form = el("form", { className: "text-form", novalidate: "" });
    var field = el("input", { type: "text", id: "text-answer", "data-key": "text-answer", maxlength: String(rules.max_length),
      autocomplete: "off", autocapitalize: "none", enterkeyhint: "send", "aria-describedby": "text-rules" });
    field.value = drafts[poll.id] || "";
    field.disabled = !open || full;
    field.addEventListener("input", function () { drafts[poll.id] = field.value; });
    var send = el("button", { type: "submit", className: "button primary", "data-key": "text-send", text: "Send" });
    send.disabled = !open || full;
    form.appendChild(el("label", { "for": "text-answer", text: "Your answer" }));
    form.appendChild(el("div", { className: "text-row" }, field, send));
    form.appendChild(el("p", { className: "hint", id: "text-rules", text: rules.per_person === 1
      ? "One word or a short phrase, up to " + rules.max_length + " characters."
      : "Up to " + rules.per_person + " words or short phrases, " + rules.max_length + " characters each." }));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!field.value.trim()) return hooks.say("Type a word or a short phrase first.", true);
      hooks.say("Sending…");
      socket().timeout(8000).emit("answer", { poll_id: poll.id, text: field.value }, function (err, ack) {
        if (err) return hooks.say("No answer from the server – try again.", true);
        if (!ack.ok) return hooks.say(ack.error, true);
        drafts[poll.id] = "";
        hooks.say(ack.answer.status === "held" ? "Sent: a facilitator checks it before it shows."
          : "Sent: “" + ack.answer.text + "” is in the cloud.");
        hooks.update(sent.concat([ack.answer]));
      });
    });
    box.appendChild(form);
    box.appendChild(el("p", { className: "text-count", text: sent.length + " of " + rules.per_person + " sent" +
      (full && open ? ": remove one to send another." : ".") }));
    if (sent.length) {
      var list = el("ul", { className: "text-sent", "aria-label": "What you sent" });
      sent.forEach(function (a) {
        var item = el("li", {}, el("span", { className: "text-sent-word", text: a.text }),
          a.status === "held" ? el("span", { className: "tag", text: "waiting for a facilitator" }) : null);
        if (open) {
          var remove = el("button", { type: "button", className: "button small", "data-key": "remove:" + a.id,
            "aria-label": "Remove “" + a.text + "”", text: "Remove" });
          remove.addEventListener("click", function () {
            socket().timeout(8000).emit("answer_remove", { answer_id: a.id }, function (err, ack) {
              if (err) return hooks.say("No answer from the server – try again.", true);
              if (!ack.ok) return hooks.say(ack.error, true);
              hooks.say("Removed “" + a.text + "”.");
              hooks.update(sent.filter(function (b) { return b.id !== a.id; }));
            });
          });
          item.appendChild(remove);
        }
        list.appendChild(item);
      });
      box.appendChild(list);
    }
    return box;
  }

  // --- results: the phone's list, the control screen's table, the projector's cloud ------------------------

  function phoneList(poll, results) {
    var box = el("div", { className: "text-results" });
    box.appendChild(el("p", { className: "text-summary", text: people(results.total) + " answered" }));
    var list = el("ol", { className: "text-words" });
    results.words.slice(0, 15).forEach(function (w) {
      list.appendChild(el("li", {}, el("strong", { text: w.key }), document.createTextNode(" – " + people(w.n) +
        " · " + who(w))));
    });
    box.appendChild(list);
    if (results.hidden_words) box.appendChild(el("p", { className: "muted", text: hiddenNote(results.hidden_words) }));
    return box;
  }

  function hiddenNote(n) {
    return n + (n === 1 ? " word" : " words") + " hidden by the facilitators.";
  }

  function controlAck(text) {
    return function (err, ack) {
      var status = document.getElementById("control-status");
      if (!status) return;
      var bad = !!err || !ack.ok;
      status.textContent = err ? "No answer from the server – try again." : ack.ok ? text : ack.error;
      status.className = "status now-status" + (bad ? " bad" : "");
      status.setAttribute("data-ack", bad ? "error" : "ok");
    };
  }

  function controlTable(poll, results) {
    var box = el("div", { className: "text-control" });
    var shown = (results.by_stance || []).filter(function (g) { return !g.hidden; }).map(function (g) { return g.stance; });
    box.appendChild(el("p", { className: "text-summary", text: people(results.total) + " answered · " +
      Live.plural(results.answers, "answer") + " shown" + (results.hidden_words ? " · " + hiddenNote(results.hidden_words) : "") }));
    var held = results.held || [];
    if (held.length) {
      var queue = el("ul", { className: "text-held", "aria-label": "Held by the word list" });
      held.forEach(function (a) {
        var approve = el("button", { type: "button", className: "button small", "data-key": "approve:" + a.id,
          "aria-label": "Approve “" + a.text + "”", text: "Approve" });
        var reject = el("button", { type: "button", className: "button small danger", "data-key": "reject:" + a.id,
          "aria-label": "Reject “" + a.text + "”", text: "Reject" });
        approve.addEventListener("click", function () {
          socket().timeout(8000).emit("answer_approve", { poll_id: poll.id, answer_id: a.id }, controlAck("Approved “" + a.text + "”."));
        });
        reject.addEventListener("click", function () {
          socket().timeout(8000).emit("answer_reject", { poll_id: poll.id, answer_id: a.id }, controlAck("Rejected “" + a.text + "”."));
        });
        queue.appendChild(el("li", {}, el("span", { className: "tag", text: "held" }), el("strong", { text: " " + a.text + " " }), approve, reject));
      });
      box.appendChild(el("h4", { text: "Held by the word list (" + held.length + ")" }));
      box.appendChild(queue);
    }
    var table = el("table", { className: "table text-table" });
    var head = el("tr", {}, el("th", { scope: "col", text: "Word" }), el("th", { scope: "col", text: "People" }));
    shown.forEach(function (s) { head.appendChild(el("th", { scope: "col", text: s })); });
    head.appendChild(el("th", { scope: "col", text: "On screen" }));
    table.appendChild(el("thead", {}, head));
    var body = el("tbody", {});
    (results.all || []).forEach(function (w) {
      var row = el("tr", { className: w.hidden ? "word-hidden" : "", "data-word": w.key },
        el("th", { scope: "row", text: w.key }), el("td", { text: String(w.n) }));
      shown.forEach(function (s) { row.appendChild(el("td", { text: String(w.by_stance[s] || 0) })); });
      var toggle = el("button", { type: "button", className: "button small", "data-key": "word:" + w.key,
        "aria-label": (w.hidden ? "Show “" : "Hide “") + w.key + "”", text: w.hidden ? "Show" : "Hide" });
      toggle.addEventListener("click", function () {
        socket().timeout(8000).emit(w.hidden ? "word_show" : "word_hide", { poll_id: poll.id, word: w.key },
          controlAck((w.hidden ? "Shown again: “" : "Hidden: “") + w.key + "”."));
      });
      row.appendChild(el("td", {}, el("span", { className: "text-state", text: w.hidden ? "hidden " : w.shared ? "shared " : "" }), toggle));
      body.appendChild(row);
    });
    if (!(results.all || []).length) body.appendChild(el("tr", {}, el("td", { colspan: String(shown.length + 3), text: "No answers yet." })));
    table.appendChild(body);
    box.appendChild(el("div", { className: "table-scroll" }, table));
    return box;
  }

  // The projector's cloud: laid out after the stage is fitted (the box's size is what is left of the screen).
  var pending = null;

  function legend(poll, results, index) {
    var list = el("ul", { className: "cloud-legend" });
    (results.by_stance || []).forEach(function (g) {
      if (g.hidden || g.stance === "Not stated") return;
      list.appendChild(el("li", { className: "side-" + index[g.stance], "data-mark": MARKS[index[g.stance]] },
        markNode(MARKS[index[g.stance]]), el("span", { text: g.stance })));
    });
    list.appendChild(el("li", { className: "shared", "data-mark": SHARED_MARK }, markNode(SHARED_MARK),
      el("span", { className: "shared-word", text: "shared" })));
    if (results.words.some(function (w) { return !w.sides.length; })) {
      list.appendChild(el("li", { className: "neutral", "data-mark": "" }, el("span", { className: "swatch", "aria-hidden": "true" }),
        el("span", { text: "groups too small to name" })));
    }
    return list;
  }

  function cloud(poll, results) {
    var index = sides(results, poll);
    var box = el("div", { className: "text-results cloud-results" });
    box.appendChild(el("p", { className: "text-summary" }, el("strong", { text: people(results.total) + " answered" }),
      results.hidden_words ? document.createTextNode(" · " + hiddenNote(results.hidden_words)) : null));
    var area = el("div", { className: "cloud-box", "data-words": results.words.map(function (w) { return w.key; }).join("|") });
    box.appendChild(area);
    // Screen readers (and a test) read the words with their sides: colour is never the only way.
    var words = el("ul", { className: "visually-hidden cloud-list" });
    results.words.forEach(function (w) { words.appendChild(el("li", { text: w.key + ": " + people(w.n) + ", " + who(w) })); });
    box.appendChild(words);
    box.appendChild(legend(poll, results, index));
    return { node: box, area: area, index: index };
  }

  function layout(area, results, index) {
    // d3-cloud places words in order along a spiral from the centre: shared words first, so they sit in the
    // middle. Sizes follow how many people gave a word; when not all fit, shrink down to reading size.
    var width = Math.floor(area.clientWidth), height = Math.floor(area.clientHeight);
    if (!width || !height || !window.d3 || !d3.layout || !d3.layout.cloud) return;
    var unit = Math.min(window.innerWidth / 100, window.innerHeight / 56.25);
    var floor = unit * 2.5; // 48 px at 1080p: what the room reads
    var ordered = results.words.slice().sort(function (a, b) {
      return (b.shared - a.shared) || (b.n - a.n) || (a.key < b.key ? -1 : 1);
    });
    var most = Math.max.apply(null, ordered.map(function (w) { return w.n; }).concat([1]));
    var top = Math.min(unit * 7, height / 3);
    var token = {};
    pending = token;

    function attempt(peak) {
      var words = ordered.map(function (w) {
        var glyph = mark(w, index);
        // d3-cloud measures (and places) the mark, a thin space and the word as one text: nothing overlaps.
        return { text: glyph ? glyph + "\u2009" + w.key : w.key, key: w.key, glyph: glyph, word: w, size: Math.round(floor + (peak - floor) * Math.sqrt(w.n / most)) };
      });
      d3.layout.cloud().size([width, height]).words(words).padding(Math.round(unit * 0.5)).rotate(0)
        .font("system-ui, sans-serif").fontWeight(700).fontSize(function (d) { return d.size; })
        .random(function () { return 0.5; }).timeInterval(Infinity)
        .on("end", function (placed) {
          if (pending !== token) return;
          // Not all fit: shrink the biggest words; at reading size d3-cloud has left out what does not fit
          // (the rarest words come last), and "+ N more" says so.
          if (placed.length < words.length && peak > floor * 1.05) return attempt(Math.max(floor, peak * 0.85));
          draw(area, placed, width, height, index, results.words.length - placed.length);
        }).start();
    }
    attempt(top);
  }

  function draw(area, placed, width, height, index, left) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.setAttribute("class", "cloud");
    svg.setAttribute("aria-hidden", "true"); // the list beside it says the same in words
    var g = document.createElementNS(ns, "g");
    g.setAttribute("transform", "translate(" + width / 2 + "," + height / 2 + ")");
    placed.forEach(function (d) {
      var t = document.createElementNS(ns, "text");
      t.setAttribute("text-anchor", "middle");
      t.setAttribute("transform", "translate(" + d.x + "," + d.y + ")");
      t.setAttribute("class", "cloud-word " + colour(d.word, index));
      t.setAttribute("data-word", d.key);
      t.setAttribute("data-n", String(d.word.n));
      t.setAttribute("data-mark", d.glyph);
      t.style.fontSize = d.size + "px";
      if (d.glyph) {
        var m = document.createElementNS(ns, "tspan");
        m.setAttribute("class", "cloud-mark");
        m.textContent = d.glyph + "\u2009";
        t.appendChild(m);
      }
      t.appendChild(document.createTextNode(d.key));
      g.appendChild(t);
    });
    svg.appendChild(g);
    area.textContent = "";
    area.appendChild(svg);
    if (left > 0) area.appendChild(el("p", { className: "cloud-more", text: "+ " + left + " more" }));
  }

  var last = null; // the projector's newest cloud: laid out again after a resize

  function render(container, poll, results) {
    // Returns true when rebuilt (a screen that fits its content measures again).
    var screen = document.body.classList;
    var focusKey = document.activeElement && container.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-key") : null;
    if (screen.contains("projector")) {
      var signature = poll.id + ":" + poll.round + ":" + JSON.stringify([results.words, results.by_stance, results.hidden_words]);
      if (container.getAttribute("data-shape") === signature) return false;
      var built = cloud(poll, results);
      container.textContent = "";
      container.setAttribute("data-shape", signature);
      container.setAttribute("data-poll", poll.id + ":" + poll.round);
      container.appendChild(built.node);
      last = { area: built.area, results: results, index: built.index };
      window.requestAnimationFrame(function () { layout(built.area, results, built.index); });
      return true;
    }
    container.textContent = "";
    container.removeAttribute("data-shape");
    container.appendChild(screen.contains("control") ? controlTable(poll, results) : phoneList(poll, results));
    var again = focusKey && container.querySelector('[data-key="' + focusKey + '"]');
    if (again) again.focus({ preventScroll: true });
    return false;
  }

  window.addEventListener("resize", function () {
    if (last && document.body.contains(last.area)) {
      window.requestAnimationFrame(function () { layout(last.area, last.results, last.index); });
    }
  });

  window.OpenText = { input: input, render: render, relayout: function () {
    if (last && document.body.contains(last.area)) layout(last.area, last.results, last.index);
  } };
})();
