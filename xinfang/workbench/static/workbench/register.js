// The registration desk's form (workbench/register.html): the accused fieldset follows the kind, Enter moves
// on, Ctrl+Enter registers, proposals clicked fill their field. A file, not an inline script: the content
// security policy (settings.SECURE_CSP) runs no inline script.
(function () {
  var form = document.getElementById("register-form");
  var accused = document.getElementById("accused");
  function sync() {
    var kind = form.querySelector('input[name="kind"]:checked');
    accused.hidden = !(kind && kind.value === "accusation");
  }
  form.querySelectorAll('input[name="kind"]').forEach(function (r) { r.addEventListener("change", sync); });
  sync();

  // Enter in a one-line field, a choice or a list moves on instead of submitting half a form;
  // Ctrl+Enter (or ⌘+Enter) submits.
  var oneLine = /^(text|tel|search|number|email|datetime-local|date|time|radio|checkbox)$/;
  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return !el.disabled && el.type !== "hidden" && el.offsetParent !== null && el.tabIndex >= 0;
    });
  }
  form.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.isComposing || e.keyCode === 229) { return; }  // 229: an IME (拼音) is composing
    if (e.ctrlKey || e.metaKey) { e.preventDefault(); form.requestSubmit(); return; }
    var el = e.target;
    if ((el.tagName === "INPUT" && oneLine.test(el.type)) || el.tagName === "SELECT") {
      e.preventDefault();
      var list = fields(), i = list.indexOf(el) + 1;
      while (el.type === "radio" && i < list.length && list[i].name === el.name) { i++; }  // past its group
      var next = list[i];
      if (next && next.type === "radio") {  // into a group: at its chosen radio, as Tab does
        next = form.querySelector('input[name="' + next.name + '"]:checked') || next;
      }
      if (next) { next.focus(); }
    }
  });

  // A category or place proposal clicked fills its field in; the clerk may still type another.
  form.addEventListener("click", function (e) {
    var button = e.target.closest("button[data-category], button[data-place]");
    if (!button) { return; }
    var isPlace = button.dataset.place !== undefined;
    var input = document.getElementById(isPlace ? "id_place" : "id_category");
    input.value = isPlace ? button.dataset.place : button.dataset.category;
    input.dispatchEvent(new Event("change", {bubbles: true}));
    input.focus();
  });

  // The same earlier petition may be listed in both panels: one tick, both boxes.
  form.addEventListener("change", function (e) {
    var el = e.target;
    if (el.name !== "related") { return; }
    form.querySelectorAll('input[name="related"][value="' + el.value + '"]').forEach(function (box) {
      box.checked = el.checked;
    });
  });
})();
