// aimem export --html: search in the browser over search-index.js (window.AIMEM_INDEX), for a
// static site opened from file:// or any folder; there is no server to ask. Loaded by
// search.html only, after search-index.js. Results are built with DOM nodes and textContent,
// never innerHTML: a page's text is data, not markup.
(function () {
  "use strict";
  var LIMIT = 50;
  // As aimem ranks by type: what people and agents chose to write outranks session logs.
  var WEIGHT = { rule: 1.3, decision: 1.2, gotcha: 1.2, concept: 1.1, handoff: 1.0, session: 0.8 };

  function terms(query) {
    var found = query.toLowerCase().match(/[\p{L}\p{N}_]+/gu) || [];
    var out = [];
    for (var i = 0; i < found.length; i++) {
      if (out.indexOf(found[i]) < 0) out.push(found[i]);
    }
    return out;
  }

  function count(haystack, term) {
    var n = 0;
    var at = haystack.indexOf(term);
    while (at >= 0 && n < 1000) {
      n++;
      at = haystack.indexOf(term, at + term.length);
    }
    return n;
  }

  // Every term must occur (as a word part: unsegmented scripts have no spaces to split on);
  // a term in the title counts more than one in the text.
  function score(doc, words) {
    var title = doc.title.toLowerCase();
    var text = doc.text.toLowerCase();
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var inTitle = count(title, words[i]);
      var inText = count(text, words[i]);
      if (inTitle + inText === 0) return 0;
      total += 3 * inTitle + Math.log(1 + inText);
    }
    var weight = WEIGHT[doc.type] || 1.0;
    if (doc.status === "superseded") weight *= 0.5;
    return (total * weight) / Math.log(3 + text.length / 2000);
  }

  function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  }

  // About 200 characters of text around the first hit, hits wrapped in <mark>.
  function snippet(doc, words) {
    var lower = doc.text.toLowerCase();
    var first = -1;
    for (var i = 0; i < words.length; i++) {
      var at = lower.indexOf(words[i]);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    var start = Math.max(0, first - 80);
    var piece = doc.text.slice(start, start + 200).replace(/\s+/g, " ");
    var p = document.createElement("p");
    p.className = "snippet";
    if (start > 0) piece = "…" + piece;
    if (start + 200 < doc.text.length) piece += "…";
    var pattern = new RegExp("(" + words.map(escapeRegExp).join("|") + ")", "giu");
    var parts = piece.split(pattern);
    for (var j = 0; j < parts.length; j++) {
      if (!parts[j]) continue;
      if (j % 2 === 1) {
        var mark = document.createElement("mark");
        mark.textContent = parts[j];
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(parts[j]));
      }
    }
    return p;
  }

  function span(className, text) {
    var el = document.createElement("span");
    el.className = className;
    el.textContent = text;
    return el;
  }

  function hitItem(doc, words, best, hit, allProjects) {
    var li = document.createElement("li");
    li.setAttribute("data-hit", "");
    li.setAttribute("data-project", doc.project);
    li.setAttribute("data-path", doc.path);
    var a = document.createElement("a");
    a.className = "hit-title";
    a.href = doc.url; // relative to the export's root, where search.html is
    a.textContent = doc.title;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(span("chip chip-" + (doc.type || "none"), doc.type || "?"));
    if (doc.status) {
      li.appendChild(document.createTextNode(" "));
      li.appendChild(span("status status-" + doc.status, doc.status));
    }
    var meter = document.createElement("meter");
    meter.min = 0;
    meter.max = 1;
    meter.value = best > 0 ? hit / best : 0;
    meter.textContent = Math.round(meter.value * 100) + "%";
    li.appendChild(document.createTextNode(" "));
    li.appendChild(meter);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(span("muted", (allProjects ? doc.name + " · " : "") + doc.path));
    li.appendChild(snippet(doc, words));
    return li;
  }

  function setField(form, name, value) {
    var field = form && form.elements.namedItem(name);
    if (field && value) field.value = value;
  }

  function run() {
    var index = window.AIMEM_INDEX;
    var slot = document.getElementById("static-hits");
    var form = document.querySelector("form.search-full");
    if (!index || !form) return;
    if (!slot) {
      slot = document.createElement("div");
      slot.id = "static-hits";
      form.parentNode.insertBefore(slot, form.nextSibling);
    }
    var params = new URLSearchParams(window.location.search);
    var query = params.get("q") || "";
    var type = params.get("type") || "";
    var status = params.get("status") || "";
    var project = params.get("project") || "";
    setField(form, "q", query);
    setField(form, "type", type);
    setField(form, "status", status);
    setField(form, "project", project);
    var box = document.getElementById("site-q");
    if (box && query) box.value = query;
    slot.textContent = "";
    if (!query.trim()) return;
    var words = terms(query);
    if (!words.length) {
      slot.appendChild(span("notice", "The query has no words to search for."));
      return;
    }
    var hits = [];
    for (var i = 0; i < index.docs.length; i++) {
      var doc = index.docs[i];
      if (type && doc.type !== type) continue;
      if (status && doc.status !== status) continue;
      if (project && doc.project !== project) continue;
      var s = score(doc, words);
      if (s > 0) hits.push({ doc: doc, score: s });
    }
    hits.sort(function (a, b) {
      return b.score - a.score || (a.doc.project + a.doc.path < b.doc.project + b.doc.path ? -1 : 1);
    });
    hits = hits.slice(0, LIMIT);
    if (!hits.length) {
      var none = document.createElement("p");
      none.appendChild(document.createTextNode("No results for "));
      var strong = document.createElement("strong");
      strong.textContent = query;
      none.appendChild(strong);
      none.appendChild(document.createTextNode("."));
      slot.appendChild(none);
      return;
    }
    var list = document.createElement("ol");
    list.className = "hits";
    var best = hits[0].score;
    for (var k = 0; k < hits.length; k++) {
      list.appendChild(hitItem(hits[k].doc, words, best, hits[k].score, !project));
    }
    slot.appendChild(list);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", run);
  } else {
    run();
  }
})();
