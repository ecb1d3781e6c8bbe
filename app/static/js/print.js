/* The print pages' Print button (no inline handler: the pages run under a CSP). */
(function () {
  "use strict";
  var button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  }
})();
