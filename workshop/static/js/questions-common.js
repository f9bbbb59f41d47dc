/* Shared helpers for the question wall screens. User text only ever goes through textContent. */
(function () {
  "use strict";
  var el = Live.el;

  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }

  function countsText(c) {
    var parts = [c.received + " received", c.on_wall + " on the wall", c.answered + " answered",
      c.dismissed + " dismissed"];
    var reasons = Object.keys(c.dismissed_by_reason || {}).map(function (r) { return r + " " + c.dismissed_by_reason[r]; });
    if (reasons.length) parts[3] += " (" + reasons.join(", ") + ")";
    if (c.merged) parts.push(c.merged + " merged as duplicates");
    if (c.pending) parts.push(c.pending + " awaiting approval");
    return "Questions: " + parts.join(" · ");
  }

  function renderCounts(node, counts) {
    if (node) node.textContent = countsText(counts);
  }

  function byId(wall) {
    var map = {};
    wall.questions.forEach(function (q) { map[q.id] = q; });
    return map;
  }

  function meta(q) {
    var box = el("p", { className: "q-meta" });
    box.appendChild(el("span", { className: "q-votes", text: plural(q.votes, "vote", "votes") }));
    if (q.both_sides) box.appendChild(el("span", { className: "tag q-both", text: "Both sides want this" }));
    if (q.stance) box.appendChild(el("span", { className: "tag q-stance", text: q.stance }));
    if (q.name) box.appendChild(el("span", { className: "q-name", text: "– " + q.name }));
    return box;
  }

  function item(q, extra) {
    var li = el("li", { className: "q-item q-" + q.status + (q.highlighted ? " q-highlighted" : ""), "data-id": String(q.id) },
      el("p", { className: "q-text", text: q.text }), meta(q));
    if (extra) li.appendChild(extra);
    return li;
  }

  window.Questions = { countsText: countsText, renderCounts: renderCounts, byId: byId, item: item, meta: meta, plural: plural };
})();
