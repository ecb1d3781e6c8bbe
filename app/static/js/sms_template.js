/* The SMS template screen: a live preview with sample values and the length in characters and
   in SMS, counted as app/reminders/sms_templates.py counts (UCS-2: 70 in one SMS, else parts
   of 67). No inline script: the page runs under a CSP. */
(function () {
  "use strict";
  var data = document.getElementById("sms-template-data");
  var body = document.getElementById("body");
  var preview = document.getElementById("sms-preview");
  if (!data || !body || !preview) {
    return;
  }
  var config = JSON.parse(data.textContent);
  var chars = document.getElementById("sms-chars");
  var segments = document.getElementById("sms-segments");

  function fill(text) {
    return text.replace(/\{([^{}]*)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(config.samples, name) ? String(config.samples[name]) : match;
    });
  }

  function units(text) {
    return text.length; // UTF-16 code units, as UCS-2 counts: a character beyond the BMP is two
  }

  function update() {
    var text = body.value.replace(/\r\n?/g, "\n").trim();
    var shown = config.signature + fill(text);
    preview.textContent = shown;
    var n = units(shown);
    chars.textContent = String(n);
    segments.textContent = String(n === 0 ? 0 : n <= config.single ? 1 : Math.ceil(n / config.part));
  }

  body.addEventListener("input", update);
  update();
})();
