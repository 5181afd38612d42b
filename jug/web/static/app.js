// jug webstatus: fills the page from /api/events (server-sent events), or
// by polling /api/live when the event stream is not available.  Everything
// is built with DOM calls and textContent: no task name is parsed as HTML.
"use strict";

(function () {
  const BAR_ORDER = ["finished", "running", "stale", "failed", "ready", "waiting"];
  const TABLE_STATES = ["waiting", "ready", "running", "stale", "finished", "failed"];
  const ROW_LIMIT = 200;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const token = new URLSearchParams(window.location.search).get("token");

  let live = null; // the last /api/live document
  let filter = null; // a task name, or null for everything
  let graphShown = -1; // version of the drawing in the page
  let graphLoading = false;
  let pollTimer = null;

  function api(path) {
    if (!token) return path;
    return path + (path.indexOf("?") >= 0 ? "&" : "?") + "token=" + encodeURIComponent(token);
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    if (props) {
      for (const key of Object.keys(props)) {
        if (key === "text") node.textContent = props[key];
        else if (key === "className") node.className = props[key];
        else if (key.startsWith("data-")) node.setAttribute(key, props[key]);
        else node[key] = props[key];
      }
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    seconds = Math.max(0, Math.round(seconds));
    if (seconds < 120) return seconds + " s";
    const minutes = Math.floor(seconds / 60);
    if (minutes < 120) return minutes + " min";
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h " + String(minutes % 60).padStart(2, "0") + " min";
    return Math.floor(hours / 24) + " d " + (hours % 24) + " h";
  }

  function secondsBetween(earlier, later) {
    return (Date.parse(later) - Date.parse(earlier)) / 1000;
  }

  function clock(iso) {
    const date = new Date(iso);
    return isNaN(date) ? "" : date.toLocaleTimeString();
  }

  function fillBar(bar, counts) {
    bar.replaceChildren();
    const total = counts.tasks || 0;
    for (const state of BAR_ORDER) {
      const count = counts[state] || 0;
      if (!count || !total) continue;
      const part = el("span", {className: state, title: count + " " + state});
      part.style.width = (100 * count / total) + "%";
      bar.appendChild(part);
    }
    bar.setAttribute("aria-label", BAR_ORDER.map(s => (counts[s] || 0) + " " + s).join(", "));
  }

  function chooseFilter(name) {
    filter = (name === filter) ? null : name;
    render();
  }

  function nameCell(name) {
    const button = el("button", {type: "button", text: name, title: "show only " + name});
    button.addEventListener("click", () => chooseFilter(name));
    return el("td", {className: "name"}, [button]);
  }

  function fillRows(tbody, rows, makeRow, emptyId) {
    tbody.replaceChildren();
    const shown = rows.slice(0, ROW_LIMIT);
    for (const row of shown) tbody.appendChild(makeRow(row));
    if (rows.length > shown.length) {
      const more = el("td", {colSpan: 9, text: "... and " + (rows.length - shown.length) +
                             " more (api/status lists them all)"});
      tbody.appendChild(el("tr", {className: "more"}, [more]));
    }
    $(emptyId).hidden = rows.length > 0;
    tbody.parentNode.hidden = rows.length === 0;
  }

  function lockCells(lock) {
    return [nameCell(lock.name), el("td", {className: "hash", text: lock.hash.slice(0, 8),
                                           title: lock.hash}),
            el("td", {className: "host", text: lock.host || "?"}),
            el("td", {className: "pid", text: String(lock.pid)})];
  }

  function keep(entries) {
    return filter === null ? entries : entries.filter(entry => entry.name === filter);
  }

  function renderStatus(status) {
    $("jugfile").textContent = status.jugfile;
    document.title = "jug webstatus: " + status.jugfile;
    $("store").textContent = "store " + status.store;
    const totals = status.totals;
    fillBar($("total-bar"), totals);
    for (const item of $("totals").children) {
      item.querySelector("b").textContent = String(totals[item.dataset.state]);
    }
    const stages = status.stages;
    let text = stages.known === 1 ? "1 stage known." : stages.known + " barrier stages known.";
    if (stages.more_pending) {
      text += " More tasks will appear once the tasks before " + stages.stopped_at +
              " are finished.";
    }
    $("stages").textContent = text;

    const names = keep(status.names);
    fillRows($("names").tBodies[0], names, row => {
      const bar = el("div", {className: "bar"});
      fillBar(bar, row);
      const cells = [nameCell(row.name), el("td", {className: "barcell"}, [bar])];
      for (const state of TABLE_STATES) {
        cells.push(el("td", {text: String(row[state]), "data-state": state,
                             className: row[state] ? "" : "zero"}));
      }
      cells.push(el("td", {text: String(row.tasks), "data-state": "tasks"}));
      return el("tr", {"data-name": row.name}, cells);
    }, "names-empty");

    const running = keep(status.running);
    $("running-count").textContent = "(" + running.length + ")";
    fillRows($("running").tBodies[0], running, lock => el("tr", {"data-hash": lock.hash},
      lockCells(lock).concat([
        el("td", {text: duration(lock.running_seconds)}),
        el("td", {text: duration(secondsBetween(lock.heartbeat_at, status.generated_at)) + " ago"}),
      ])), "running-empty");

    const stale = keep(status.stale_locks);
    $("stale-count").textContent = "(" + stale.length + ")";
    fillRows($("stale").tBodies[0], stale, lock => el("tr", {"data-hash": lock.hash},
      lockCells(lock).concat([
        el("td", {text: duration(secondsBetween(lock.heartbeat_at, status.generated_at)) + " ago"}),
        el("td", {className: "text", text: lock.reason}),
      ])), "stale-empty");
    $("stale-hint").hidden = stale.length === 0;

    const failed = keep(status.failed);
    $("failed-count").textContent = "(" + failed.length + ")";
    fillRows($("failed").tBodies[0], failed, lock => el("tr", {"data-hash": lock.hash},
      lockCells(lock).concat([
        el("td", {className: "text error", text: lock.error || "(no error recorded)"}),
      ])), "failed-empty");
    $("failed-hint").hidden = failed.length === 0;

  }

  function renderFilter(status) {
    $("filter").hidden = filter === null;
    if (filter === null) return;
    $("filter-name").textContent = filter;
    const row = status.names.find(r => r.name === filter);
    $("filter-counts").textContent = row ?
      "(" + row.tasks + " tasks: " + TABLE_STATES.filter(s => row[s]).map(
        s => row[s] + " " + s).join(", ") + ")" : "";
  }

  function renderProgress(progress, status) {
    const eta = $("eta");
    const rate = $("rate");
    const totals = status.totals;
    const remaining = totals.waiting + totals.ready + totals.running + totals.stale;
    if (status.all_finished) {
      eta.textContent = "All tasks are finished.";
    } else if (!progress || progress.rate_per_minute === null) {
      eta.textContent = "ETA: measuring (the server has watched for less than two seconds).";
    } else if (progress.eta_seconds !== null) {
      eta.textContent = "ETA: about " + duration(progress.eta_seconds) + " for the " + remaining +
        " tasks left, at " + progress.rate_per_minute + " tasks/min (last " +
        duration(progress.window_seconds) + ")" +
        (status.stages.more_pending ? "; more tasks will appear after the barrier." : ".");
    } else if (remaining) {
      eta.textContent = "ETA: unknown, no task finished in the last " +
        duration(progress.window_seconds) + ".";
    } else {
      eta.textContent = "No task left to run" + (totals.failed ? " (some failed)." : ".");
    }
    if (progress && progress.rate_per_minute !== null) {
      rate.textContent = progress.rate_per_minute + " tasks finished per minute over the last " +
        duration(progress.window_seconds) + " (watched since " + clock(progress.since) + ").";
    } else {
      rate.textContent = "Measured from when the server started.";
    }
    drawThroughput(progress);
  }

  function drawThroughput(progress) {
    const svg = $("throughput");
    const width = Math.max(200, svg.clientWidth || 600);
    const height = 140;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.replaceChildren();
    const bars = (progress && progress.bars) || [];
    const rates = bars.map(b => b.seconds > 0 ? b.finished * 60 / b.seconds : 0);
    const top = Math.max(1, ...rates);
    const left = 44, bottom = 18, plot = width - left - 6;
    const text = (x, y, content, anchor) => {
      const node = document.createElementNS(SVG_NS, "text");
      node.setAttribute("x", x);
      node.setAttribute("y", y);
      node.setAttribute("text-anchor", anchor || "start");
      node.textContent = content;
      svg.appendChild(node);
    };
    text(left - 4, 12, Math.round(top) + "/min", "end");
    text(left - 4, height - bottom, "0", "end");
    if (!bars.length) {
      text(left + plot / 2, height / 2, "no history yet", "middle");
      return;
    }
    const slot = plot / Math.max(bars.length, 1);
    bars.forEach((bar, i) => {
      const h = (height - bottom - 6) * rates[i] / top;
      const rect = document.createElementNS(SVG_NS, "rect");
      rect.setAttribute("x", left + i * slot + 1);
      rect.setAttribute("y", height - bottom - h);
      rect.setAttribute("width", Math.max(1, slot - 2));
      rect.setAttribute("height", h);
      const title = document.createElementNS(SVG_NS, "title");
      title.textContent = bar.finished + " finished in " + duration(bar.seconds) + ", " +
        duration(bar.end_seconds_ago) + " ago";
      rect.appendChild(title);
      svg.appendChild(rect);
    });
    text(left, height - 4, "-" + duration(bars[0].end_seconds_ago + bars[0].seconds));
    text(width - 6, height - 4, "now", "end");
  }

  function groupOf(node) {
    const title = node.querySelector("title");
    const id = title ? title.textContent.trim() : "";
    return (live.groups || []).find(group => group.id === id) || null;
  }

  function markGraph() {
    for (const node of $("graph").querySelectorAll("g.node")) {
      const group = groupOf(node);
      const name = group ? group.name : null;
      node.classList.toggle("selected", filter !== null && name === filter);
      node.classList.toggle("dimmed", filter !== null && name !== filter);
      node.setAttribute("aria-pressed", String(filter !== null && name === filter));
    }
  }

  function showGraph(text) {
    const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
    const svg = parsed.documentElement;
    if (svg.nodeName !== "svg") throw new Error("not an SVG drawing");
    for (const script of svg.querySelectorAll("script, foreignObject")) script.remove();
    for (const node of svg.querySelectorAll("*")) {
      for (const attribute of Array.from(node.attributes)) {
        if (attribute.name.startsWith("on")) node.removeAttribute(attribute.name);
      }
    }
    const imported = document.importNode(svg, true);
    for (const node of imported.querySelectorAll("g.node")) {
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
      const pick = () => { const group = groupOf(node); if (group) chooseFilter(group.name); };
      node.addEventListener("click", pick);
      node.addEventListener("keydown", event => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); pick(); }
      });
    }
    $("graph").replaceChildren(imported);
  }

  function renderGraph(graph) {
    const problem = $("graph-error");
    problem.hidden = !graph.error;
    problem.textContent = graph.error || "";
    if (!graph.available || graph.version === graphShown || graphLoading) {
      markGraph();
      return;
    }
    graphLoading = true;
    const version = graph.version;
    fetch(api("api/graph.svg"), {cache: "no-store"})
      .then(response => response.ok ? response.text() : Promise.reject(
        new Error("the graph could not be loaded (HTTP " + response.status + ")")))
      .then(text => { showGraph(text); graphShown = version; markGraph(); })
      .catch(error => { problem.hidden = false; problem.textContent = String(error.message); })
      .finally(() => { graphLoading = false; });
  }

  function render() {
    if (!live) return;
    const banner = $("error");
    banner.hidden = !live.error;
    banner.textContent = live.error ? "The last refresh failed: " + live.error : "";
    if (live.status) {
      renderStatus(live.status);
      renderFilter(live.status);
      renderProgress(live.progress, live.status);
    }
    $("updated").textContent = "updated " + clock(live.refreshed_at) +
      " (every " + live.interval_seconds + " s)";
    renderGraph(live.graph);
    document.body.dataset.version = String(live.version);
    document.body.dataset.filter = filter === null ? "" : filter;
  }

  function receive(text) {
    const data = JSON.parse(text);
    if (live && data.version < live.version) return;
    live = data;
    render();
  }

  function setConnection(state, text) {
    const node = $("connection");
    node.dataset.state = state;
    node.textContent = text;
  }

  function poll() {
    fetch(api("api/live"), {cache: "no-store"})
      .then(response => response.ok ? response.text() : Promise.reject(
        new Error("HTTP " + response.status)))
      .then(text => { receive(text); setConnection("polling", "polling"); })
      .catch(() => setConnection("offline", "server unreachable, retrying"))
      .finally(() => {
        const seconds = live ? Math.max(1, live.interval_seconds) : 2;
        pollTimer = window.setTimeout(poll, seconds * 1000);
      });
  }

  function connect() {
    if (!window.EventSource) { poll(); return; }
    const source = new EventSource(api("api/events"));
    let opened = false;
    source.addEventListener("live", event => {
      opened = true;
      setConnection("live", "live");
      receive(event.data);
    });
    source.addEventListener("error", () => {
      if (!opened || source.readyState === EventSource.CLOSED) {
        source.close(); // no event stream here (a proxy?): poll instead
        if (pollTimer === null) poll();
      } else {
        setConnection("offline", "reconnecting");
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("show-all").addEventListener("click", () => { filter = null; render(); });
    $("api-link").href = api("api/status");
    window.addEventListener("resize", () => { if (live) drawThroughput(live.progress); });
    connect();
  });
})();
