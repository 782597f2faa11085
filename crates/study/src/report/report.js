// cartera report: customer look-up, segment tabs and #hash routing. Plain ES5 on purpose: no
// build step, no library, nothing fetched.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var byId = null;

  // The index is built on the first look-up, not on load: 371,589 IDs take ~50 ms.
  function rowOf(id) {
    if (byId === null) {
      byId = new Map();
      for (var i = 0; i < data.ids.length; i++) byId.set(data.ids[i], i);
    }
    var row = byId.get(id);
    return row === undefined ? -1 : row;
  }

  function fmt(v) {
    return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
  }

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
    return el;
  }

  function lookup(raw) {
    var id = String(raw).trim();
    var input = document.getElementById("lookup-input");
    var result = document.getElementById("lookup-result");
    var status = document.getElementById("lookup-status");
    var details = document.getElementById("lookup-details");
    input.value = id;
    if (id === "") {
      result.hidden = true;
      return;
    }
    result.hidden = false;
    setText("lookup-id", id);
    var row = rowOf(id);
    if (row < 0) {
      status.setAttribute("data-status", "not-found");
      status.textContent = "Customer " + id + " not found.";
      details.hidden = true;
      return;
    }
    status.setAttribute("data-status", "found");
    status.textContent = "Found.";
    details.hidden = false;
    var segment = document.getElementById("lookup-segment");
    if (segment && data.segment) {
      var s = data.segment[row];
      var link = document.createElement("a");
      link.href = "#cluster-" + s;
      link.textContent = data.clusters[s];
      segment.textContent = "";
      segment.appendChild(link);
    }
    if (data.score) setText("lookup-score", fmt(data.score[row]));
    if (data.tier) {
      var t = data.tier[row];
      var chip = setText("lookup-tier", data.tiers[t]);
      if (chip) chip.style.background = data.tier_colors[t];
    }
  }

  var pages = document.querySelectorAll(".cluster-page");
  var tabs = document.querySelectorAll(".tab");

  function showCluster(k) {
    var i;
    for (i = 0; i < pages.length; i++) {
      pages[i].classList.toggle("active", pages[i].id === "cluster-" + k);
    }
    for (i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute("data-cluster") === String(k);
      tabs[i].classList.toggle("active", on);
      tabs[i].setAttribute("aria-selected", on ? "true" : "false");
    }
  }

  function route(onLoad) {
    var hash = location.hash.slice(1);
    try {
      hash = decodeURIComponent(hash);
    } catch (e) {
      // A malformed %-escape: use the hash as typed.
    }
    if (hash.indexOf("lookup=") === 0) {
      lookup(hash.slice("lookup=".length));
      if (!onLoad) document.getElementById("lookup").scrollIntoView();
      return;
    }
    var m = /^cluster-(\d+)$/.exec(hash);
    var page = m ? document.getElementById(hash) : null;
    if (page) {
      showCluster(m[1]);
      // The section, not the page, so that the tabs stay in sight.
      document.getElementById("clusters").scrollIntoView();
    }
  }

  if (pages.length) showCluster(0);
  document.getElementById("lookup-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = document.getElementById("lookup-input").value.trim();
    try {
      // Makes the answer a link to share; replaceState fires no hashchange.
      history.replaceState(null, "", "#lookup=" + encodeURIComponent(id));
    } catch (err) {
      // Some browsers refuse history changes on file:// pages; the look-up still works.
    }
    lookup(id);
  });
  window.addEventListener("hashchange", function () {
    route(false);
  });
  route(true);
})();
