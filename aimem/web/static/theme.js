// aimem web: theme (system, or a choice kept in localStorage) and "/" to focus search.
// Loaded in <head> so the chosen theme applies before the first paint (no flash).
(function () {
  "use strict";
  var KEY = "aimem-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "dark" || value === "light" ? value : null;
    } catch (e) {
      return null; // storage disabled (file://, privacy settings): follow the system
    }
  }

  function systemTheme() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark"
      : "light";
  }

  function apply() {
    var chosen = stored();
    if (chosen) {
      root.setAttribute("data-theme", chosen);
    } else {
      root.removeAttribute("data-theme");
    }
  }

  function save(value) {
    try {
      if (value) {
        window.localStorage.setItem(KEY, value);
      } else {
        window.localStorage.removeItem(KEY);
      }
    } catch (e) {
      /* not kept: still applied to this page */
    }
  }

  apply();

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("theme-toggle");
    var system = document.getElementById("theme-system");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var now = root.getAttribute("data-theme") || systemTheme();
        var next = now === "dark" ? "light" : "dark";
        save(next);
        root.setAttribute("data-theme", next);
      });
    }
    if (system) {
      system.addEventListener("click", function () {
        save(null);
        apply();
      });
    }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
        target.tagName === "SELECT" || target.isContentEditable);
      if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
        var box = document.getElementById("site-q");
        if (box) {
          event.preventDefault();
          box.focus();
        }
      }
    });
  });
})();
