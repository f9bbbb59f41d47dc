/* Projector: the highlighted question large, the top questions on the wall beneath, fair-moderation counts. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  var el = Live.el;
  var now = document.getElementById("q-now");
  var top = document.getElementById("q-top");
  if (!app || !now || !top) return;
  var TOP = 5;
  var socket = Live.connect("/questions", { code: app.dataset.code, role: "projector" });

  function render(wall) {
    var map = Questions.byId(wall);
    now.textContent = "";
    if (wall.highlighted) {
      var q = wall.highlighted;
      now.appendChild(el("p", { className: "q-now-label", text: "Now answering" }));
      now.appendChild(el("p", { className: "q-now-text", text: q.text }));
      now.appendChild(Questions.meta(q));
    }
    top.textContent = "";
    var ids = wall.order.top.filter(function (id) { return !wall.highlighted || id !== wall.highlighted.id; }).slice(0, TOP);
    ids.forEach(function (id) { top.appendChild(Questions.item(map[id])); });
    if (!ids.length && !wall.highlighted) {
      top.appendChild(el("li", { className: "q-empty", text: "Ask your questions on your phone – the room upvotes the best." }));
    }
    Questions.renderCounts(document.getElementById("q-counts"), wall.counts);
  }

  socket.on("wall", render);
})();
