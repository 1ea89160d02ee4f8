// pgmon console: the little a page needs a script for. Every page works without it; with it,
// times are shown in the browser's zone, live parts refresh on their own (and can be paused),
// and a custom range is sent in UTC. It never builds markup from text: new parts come as
// whole elements of a page pgmond rendered, and text is set with textContent.
"use strict";

(function () {
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var t = new Date(el.getAttribute("datetime"));
      if (!isNaN(t.getTime())) {
        el.textContent = t.toLocaleString();
      }
    });
  }

  // Live parts: elements with data-live-part and an id, refreshed from the same URL.
  var main = document.querySelector("main[data-live]");
  var paused = false;
  var timer = null;

  function openDetails() {
    var open = [];
    document.querySelectorAll("details[open][data-key]").forEach(function (d) {
      open.push(d.getAttribute("data-key"));
    });
    return open;
  }

  function refresh() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Refresh": "1" } })
      .then(function (r) {
        if (r.redirected && r.url.indexOf("/ui/login") !== -1) {
          window.location.assign(r.url);
          return null;
        }
        return r.ok ? r.text() : null;
      })
      .then(function (text) {
        if (text === null || paused) {
          return;
        }
        var open = openDetails();
        var fresh = new DOMParser().parseFromString(text, "text/html");
        document.querySelectorAll("[data-live-part][id]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next) {
            part.replaceWith(document.importNode(next, true));
          }
        });
        open.forEach(function (key) {
          document.querySelectorAll("details[data-key]").forEach(function (d) {
            if (d.getAttribute("data-key") === key) {
              d.open = true;
            }
          });
        });
        localTimes(document);
      })
      .catch(function () {});
  }

  function schedule() {
    var every = main ? parseInt(main.getAttribute("data-live"), 10) : 0;
    if (every > 0 && !paused) {
      timer = window.setInterval(refresh, every * 1000);
    }
  }

  document.querySelectorAll("[data-live-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      paused = !paused;
      button.setAttribute("aria-pressed", paused ? "true" : "false");
      button.textContent = paused ? "Resume updates" : "Pause updates";
      var state = document.querySelector("[data-live-state]");
      if (state) {
        state.textContent = paused ? "Paused" : "Updates resumed";
      }
      if (timer !== null) {
        window.clearInterval(timer);
        timer = null;
      }
      if (!paused) {
        refresh();
        schedule();
      }
    });
  });

  // A custom range: the browser's local times sent as UTC.
  document.querySelectorAll("form[data-range]").forEach(function (form) {
    form.addEventListener("submit", function () {
      ["from", "to"].forEach(function (end) {
        var local = form.querySelector("[name=" + end + "_local]");
        var utc = form.querySelector("[name=" + end + "]");
        if (local && utc && local.value) {
          var t = new Date(local.value);
          if (!isNaN(t.getTime())) {
            utc.value = t.toISOString();
          }
        }
      });
    });
  });

  localTimes(document);
  schedule();
})();
