/* FinCRM: "/" or Ctrl+K (Cmd+K) anywhere puts the cursor in the header's customer search; Escape leaves it. */
(function () {
  if (window.__fincrmHotkeys) { return; }
  window.__fincrmHotkeys = true;
  document.addEventListener("keydown", function (e) {
    var box = document.getElementById("global-search");
    if (!box) { return; }
    var target = e.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    if ((e.key === "k" || e.key === "K") && (e.ctrlKey || e.metaKey) && !e.altKey) {
      e.preventDefault();
      box.focus();
      box.select();
    } else if (e.key === "/" && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      box.focus();
      box.select();
    } else if (e.key === "Escape" && target === box) {
      box.blur();
    }
  });
})();
