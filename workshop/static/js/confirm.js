/* Confirm before anything destructive (WCAG 2.2 SC 3.3.4).

   Confirm.ask({title, body, confirm, cancel}) -> Promise<boolean>: a native modal <dialog> labelled by its
   title, focus on the safe button, Escape or "cancel" resolves false; focus returns where it was.

   Forms opt in with <form data-confirm="Delete your data?" data-confirm-body="..." data-confirm-button="Delete
   my data" data-confirm-cancel="Keep">: a submit asks first, and a confirmed submit carries confirmed=yes.
   Without JavaScript the server sees no confirmed=yes and shows its own "Are you sure?" page instead
   (workshop/confirmation.py), so nothing is lost in one tap either way. */
(function () {
  "use strict";
  var counter = 0;

  function node(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text) n.textContent = text;
    return n;
  }

  function build(opts, id) {
    var dialog = node("dialog", { "class": "confirm-dialog", "aria-labelledby": id + "-title" });
    dialog.appendChild(node("h2", { id: id + "-title", "class": "confirm-title" }, opts.title || "Are you sure?"));
    if (opts.body) {
      dialog.setAttribute("aria-describedby", id + "-body");
      dialog.appendChild(node("p", { id: id + "-body", "class": "confirm-body" }, opts.body));
    }
    var actions = node("div", { "class": "confirm-actions" });
    // The safe choice comes first and takes the focus: Enter or a stray tap keeps the data.
    var keep = node("button", { type: "button", "class": "button confirm-cancel", "data-confirm-role": "cancel" }, opts.cancel || "Cancel");
    var go = node("button", { type: "button", "class": "button danger confirm-ok", "data-confirm-role": "confirm" }, opts.confirm || "Yes");
    actions.appendChild(keep);
    actions.appendChild(go);
    dialog.appendChild(actions);
    return { dialog: dialog, keep: keep, go: go };
  }

  function ask(opts) {
    opts = opts || {};
    var back = document.activeElement;
    var parts = build(opts, "confirm-" + (++counter));
    var dialog = parts.dialog;
    if (typeof dialog.showModal !== "function") {
      // Very old browsers: the built-in confirm still asks before anything is lost.
      return Promise.resolve(window.confirm((opts.title || "Are you sure?") + (opts.body ? "\n\n" + opts.body : "")));
    }
    return new Promise(function (resolve) {
      var answer = false;
      parts.keep.addEventListener("click", function () { answer = false; dialog.close(); });
      parts.go.addEventListener("click", function () { answer = true; dialog.close(); });
      dialog.addEventListener("cancel", function () { answer = false; }); // Escape
      dialog.addEventListener("close", function () {
        dialog.remove();
        if (back && typeof back.focus === "function" && document.contains(back)) back.focus();
        resolve(answer);
      });
      document.body.appendChild(dialog);
      dialog.showModal();
      parts.keep.focus();
    });
  }

  function submitConfirmed(form, submitter) {
    var flag = node("input", { type: "hidden", name: "confirmed", value: "yes" });
    form.appendChild(flag);
    // form.submit() drops the pressed button's name/value: carry it over.
    if (submitter && submitter.name) {
      form.appendChild(node("input", { type: "hidden", name: submitter.name, value: submitter.value }));
    }
    form.dataset.confirmed = "yes";
    form.submit();
  }

  function onSubmit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (form.dataset.confirmed === "yes") return;
    event.preventDefault();
    var submitter = event.submitter || null;
    ask({
      title: form.getAttribute("data-confirm"),
      body: form.getAttribute("data-confirm-body") || "",
      confirm: form.getAttribute("data-confirm-button") || "Yes",
      cancel: form.getAttribute("data-confirm-cancel") || "Cancel",
    }).then(function (ok) { if (ok) submitConfirmed(form, submitter); });
  }

  document.addEventListener("submit", onSubmit);
  window.Confirm = { ask: ask };
})();
