// A button with data-print prints the page (the receipts of the desk and the portal). A file, not an
// onclick attribute: the content security policy (settings.SECURE_CSP) runs no inline script.
document.addEventListener("click", function (e) {
  if (e.target.closest("[data-print]")) { window.print(); }
});
