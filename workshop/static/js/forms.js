/* Forms: after a failed submit, focus goes to the error summary (the GOV.UK pattern), so keyboard and
   screen reader users land on what to fix instead of the top of the page. No inline script: CSP. */
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (!summary) return;
  summary.focus();
  if (summary.scrollIntoView) summary.scrollIntoView({ block: "start" });
  // The summary's links jump to their field: focus it too (a fragment link alone only scrolls).
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: "center" });
  });
})();
