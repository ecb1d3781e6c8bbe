/*
 * Search-as-you-type picker (no inline script: served by the app under its CSP).
 *
 * Markup: a container .picker with data-search-url, data-create-url, data-new-form (the id of
 * the inline "new applicant" form), data-unit-field (the select whose unit a new applicant
 * joins), data-msg-none and data-msg-failed; inside it a hidden input (the chosen id), the
 * search input .picker-input, the results .picker-results, .picker-chosen with its label and a
 * .picker-change button, .picker-new-toggle and the fieldset .picker-new.
 */
(function () {
  "use strict";

  function init(root) {
    var hidden = root.querySelector("input[type=hidden]");
    var input = root.querySelector(".picker-input");
    var results = root.querySelector(".picker-results");
    var status = root.querySelector(".picker-status");
    var chosen = root.querySelector(".picker-chosen");
    var chosenLabel = root.querySelector(".picker-chosen-label");
    var toggle = root.querySelector(".picker-new-toggle");
    var fieldset = root.querySelector(".picker-new");
    var newForm = document.getElementById(root.dataset.newForm);
    var timer = null;
    var controller = null;
    var active = -1;

    function show(el, visible) {
      el.classList.toggle("hidden", !visible);
    }

    function clearResults() {
      results.textContent = "";
      active = -1;
      input.setAttribute("aria-expanded", "false");
    }

    function choose(item) {
      hidden.value = item.id;
      chosenLabel.textContent = item.label;
      show(chosen, true);
      show(input, false);
      clearResults();
      status.textContent = "";
      show(fieldset, false);
      toggle.setAttribute("aria-expanded", "false");
    }

    function highlight(index) {
      var items = results.querySelectorAll(".list-group-item");
      if (!items.length) return;
      active = (index + items.length) % items.length;
      items.forEach(function (el, i) {
        el.classList.toggle("active", i === active);
        el.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      items[active].scrollIntoView({ block: "nearest" });
    }

    function render(list) {
      clearResults();
      list.forEach(function (item) {
        var row = document.createElement("button");
        row.type = "button";
        row.className = "list-group-item";
        row.setAttribute("role", "option");
        row.dataset.id = item.id;
        var name = document.createElement("strong");
        name.textContent = item.name;
        row.appendChild(name);
        [item.identity, item.mobile, item.unit].forEach(function (part) {
          if (!part) return;
          var small = document.createElement("small");
          small.className = "text-muted";
          small.textContent = part;
          row.appendChild(small);
        });
        row.addEventListener("click", function () {
          choose(item);
        });
        results.appendChild(row);
      });
      input.setAttribute("aria-expanded", list.length ? "true" : "false");
      status.textContent = list.length ? "" : root.dataset.msgNone;
    }

    function search() {
      var text = input.value.trim();
      if (controller) controller.abort();
      if (!text) {
        clearResults();
        status.textContent = "";
        return;
      }
      controller = new AbortController();
      var url = root.dataset.searchUrl + "?q=" + encodeURIComponent(text);
      fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        signal: controller.signal,
      })
        .then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        })
        .then(function (data) {
          render(data.results || []);
        })
        .catch(function (err) {
          if (err.name !== "AbortError") status.textContent = root.dataset.msgFailed;
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        highlight(active + 1);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight(active - 1);
      } else if (e.key === "Enter") {
        e.preventDefault(); // never submit the whole application from the search box
        var items = results.querySelectorAll(".list-group-item");
        if (items.length) items[active >= 0 ? active : 0].click();
      } else if (e.key === "Escape") {
        clearResults();
      }
    });
    root.querySelector(".picker-change").addEventListener("click", function () {
      hidden.value = "";
      show(chosen, false);
      show(input, true);
      input.focus();
      if (input.value.trim()) search();
    });

    toggle.addEventListener("click", function () {
      var open = fieldset.classList.contains("hidden");
      show(fieldset, open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var name = fieldset.querySelector("[name$='-name']");
        if (name && !name.value && input.value.trim() && !/\d/.test(input.value)) {
          name.value = input.value.trim();
        }
        if (name) name.focus();
      }
    });

    function fieldErrors(errors) {
      fieldset.querySelectorAll("[data-field]").forEach(function (group) {
        var messages = errors[group.dataset.field] || [];
        group.classList.toggle("has-error", messages.length > 0);
        group.querySelector(".picker-field-error").textContent = messages.join(" ");
      });
    }

    if (newForm) {
      // The inline fields belong to their own <form> (outside the application form) and are
      // sent by script; the button is not a submit button of the application.
      newForm.addEventListener("submit", function (e) {
        e.preventDefault();
        register();
      });
      fieldset.querySelector(".picker-new-save").addEventListener("click", register);
    }

    function register() {
      var body = new FormData(newForm);
      var unitField = document.getElementsByName(root.dataset.unitField)[0];
      if (unitField && unitField.value) body.set("new_applicant-unit", unitField.value);
      var note = fieldset.querySelector(".picker-new-status");
      note.textContent = "";
      fetch(root.dataset.createUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (r) {
          return r.json().then(function (data) {
            return { status: r.status, data: data };
          });
        })
        .then(function (res) {
          var errors = {};
          Object.keys((res.data && res.data.errors) || {}).forEach(function (key) {
            errors[key.replace(/^new_applicant-/, "")] = res.data.errors[key];
          });
          fieldErrors(errors);
          if (res.data && res.data.applicant) {
            choose(res.data.applicant);
            if (res.status === 409) status.textContent = res.data.message;
          } else {
            note.textContent = (res.data && res.data.message) || root.dataset.msgFailed;
          }
        })
        .catch(function () {
          note.textContent = root.dataset.msgFailed;
        });
    }
  }

  document.querySelectorAll(".picker").forEach(init);
})();
