// A form with data-confirm asks before it is sent (rolling a batch back).
// A file, not an inline handler: the pages' content policy runs no inline
// event handlers.
document.addEventListener("submit", function (e) {
  var msg = e.target.getAttribute && e.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { e.preventDefault(); }
});
