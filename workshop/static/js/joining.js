/* Joining defences on the live screens (docs/security.md, "Joining").
   Control screen: renders into <section id="joining">: joins in the last minute, phones / cap, the key now on the
   projector, a "Pause joining" toggle (aria-pressed) that emits `join_pause` and shows the ack's error.
   Projector: keeps #join-key (code and key: "SNOG 4821"), <img id="join-qr"> and #join-url current as the key rotates, and
   shows #join-paused (if the page has it) while joining is paused.
   The key comes over HTTP (/live/<code>/joining.json, which needs the facilitator's cookie or the projector
   link's ?s=): sockets of anonymous projectors never carry it. Counts and pause come with the `joining` event. */
(function () {
  "use strict";
  var app = document.getElementById("app");
  if (!app || !window.Live) return;
  var role = app.dataset.role;
  var code = app.dataset.code;
  var section = document.getElementById("joining");
  if (role !== "control" && role !== "projector") return;
  if (role === "control" && !section) return;
  var el = Live.el;
  var $ = function (id) { return document.getElementById(id); };
  var status = {};
  var expiresAt = 0; // when the shown key stops being current (our clock, ms)
  var refreshTimer = null;
  var screenToken = new URLSearchParams(window.location.search).get("s");

  function shared() {
    // One socket per page when the page script exposes it; else our own (a second connection is acceptable).
    var live = window.Live || {};
    return (live.sockets && live.sockets["/live"]) || live.socket || null;
  }
  var socket = shared() || Live.connect("/live", { code: code, role: role });

  function showUrl(node, bare) {
    // Host, a break opportunity, then the path: a narrow join panel wraps at the slash, not mid-number.
    var slash = bare.indexOf("/");
    node.textContent = slash < 0 ? bare : bare.slice(0, slash);
    if (slash < 0) return;
    node.appendChild(document.createElement("wbr"));
    node.appendChild(el("span", { className: "nowrap", text: bare.slice(slash) }));
  }

  function merge(update) {
    if (!update) return;
    Object.keys(update).forEach(function (key) {
      // Socket updates carry no key (projectors' sockets are anonymous): keep the one fetched over HTTP.
      if ((key === "key" || key === "join_url" || key === "qr_src") && update[key] == null && status[key]) return;
      status[key] = update[key];
    });
    if (typeof update.key_expires_in === "number") schedule(update.key_expires_in);
    render();
  }

  function schedule(seconds) {
    expiresAt = Date.now() + seconds * 1000;
    if (refreshTimer) clearTimeout(refreshTimer);
    refreshTimer = setTimeout(fetchStatus, seconds * 1000 + 300); // just after the server's window turns
  }

  function fetchStatus() {
    var url = "/live/" + encodeURIComponent(code) + "/joining.json" + (screenToken ? "?s=" + encodeURIComponent(screenToken) : "");
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        ["key", "join_url", "qr_src"].forEach(function (k) { if (data[k] == null) delete status[k]; });
        merge(data);
      })
      .catch(function () { schedule(5); }); // offline for a moment: try again soon
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((expiresAt - Date.now()) / 1000));
  }

  // --- projector -------------------------------------------------------------------------------

  function renderProjector() {
    var key = $("join-key"), qr = $("join-qr"), link = $("join-url"), paused = $("join-paused");
    if (status.rotates && status.key) {
      if (key) key.textContent = code + " " + status.key; // the projector reads "SNOG 4821", as typed at /join
      if (qr && status.qr_src && qr.getAttribute("src") !== status.qr_src) qr.setAttribute("src", status.qr_src);
      if (link && status.join_url) showUrl(link, status.join_url.split("://").pop());
      if (qr && status.join_url) qr.setAttribute("alt", "QR code to join: " + status.join_url);
    }
    if (paused) paused.hidden = !status.paused;
    app.classList.toggle("joining-paused", !!status.paused);
  }

  // --- control ---------------------------------------------------------------------------------

  var parts = null;

  function buildControl() {
    section.textContent = "";
    section.classList.add("card");
    section.setAttribute("aria-labelledby", "joining-heading");
    parts = {
      minute: el("strong", { id: "joins-minute", text: "0" }),
      count: el("span", { id: "joined-cap", text: "" }),
      state: el("span", { id: "joining-state", text: "" }),
      key: el("p", { id: "joining-key" }),
      button: el("button", { type: "button", className: "button", id: "join-pause", "aria-pressed": "false",
                             text: "Pause joining" }),
      ack: el("p", { id: "joining-ack", className: "status", role: "status", "aria-live": "polite" }),
      link: el("p", { className: "hint", id: "joining-screen" }),
    };
    section.appendChild(el("h2", { id: "joining-heading", text: "Joining" }));
    section.appendChild(el("p", {}, parts.state));
    section.appendChild(el("p", {}, parts.minute, document.createTextNode(" joined in the last minute · "), parts.count));
    section.appendChild(parts.key);
    section.appendChild(el("p", {}, parts.button));
    section.appendChild(parts.ack);
    section.appendChild(parts.link);
    parts.button.addEventListener("click", togglePause);
  }

  function togglePause() {
    var paused = !status.paused;
    parts.button.disabled = true;
    socket.timeout(10000).emit("join_pause", { paused: paused }, function (err, ack) {
      parts.button.disabled = false;
      if (err || !ack || !ack.ok) {
        parts.ack.textContent = "Not changed: " + (err ? "no answer from the server, try again." : (ack && ack.error) || "refused.");
        parts.ack.className = "status bad";
        return;
      }
      parts.ack.textContent = paused ? "Joining paused." : "Joining open again.";
      parts.ack.className = "status";
      merge(ack.joining);
    });
  }

  function renderControl() {
    if (!parts) buildControl();
    var cap = status.cap == null ? "no cap" : "cap " + status.cap + (status.cap_auto ? " (automatic: capacity + 20 % + 10)" : "");
    parts.minute.textContent = String(status.joins_last_minute || 0);
    parts.count.textContent = (status.joined || 0) + " phones, " + cap + (status.full ? " – full" : "");
    parts.state.textContent = status.paused
      ? "Joining is paused: new phones are refused (ticket holders can still link their phone)."
      : "Joining is open.";
    parts.state.className = status.paused ? "bad" : "";
    parts.button.setAttribute("aria-pressed", status.paused ? "true" : "false");
    parts.key.textContent = "";
    if (status.rotates && status.key) {
      parts.key.appendChild(document.createTextNode("Key on the screen now: "));
      parts.key.appendChild(el("strong", { text: code + " " + status.key }));
      parts.key.appendChild(el("span", { className: "muted", id: "joining-key-left", text: " (changes in " + secondsLeft() + " s)" }));
    } else {
      parts.key.textContent = "No rotating key (switch it on in the workshop's details).";
    }
    parts.link.textContent = "";
    if (status.rotates && status.screen_url) {
      parts.link.appendChild(document.createTextNode("Projector on a computer nobody signed in on: open "));
      parts.link.appendChild(el("a", { href: status.screen_url, text: "this projector link" }));
      parts.link.appendChild(document.createTextNode(" there (it shows the key; keep it private)."));
    }
  }

  function render() {
    if (role === "control") renderControl();
    else renderProjector();
  }

  socket.on("state", function (state) { if (state && state.joining) merge(state.joining); });
  socket.on("joining", merge);
  socket.on("connect", fetchStatus); // after a reconnect the key may have turned
  if (role === "control") {
    setInterval(function () { // the countdown only: one text node, not read out (aria-live off)
      var left = $("joining-key-left");
      if (left) left.textContent = " (changes in " + secondsLeft() + " s)";
    }, 1000);
  }
  fetchStatus();
})();
