// The form-dns dashboard: reads /v1/dashboard/stream (server-sent events, one snapshot a second)
// with the reader token from the page's #token= fragment (never sent to the server in a URL) or
// the form, and draws the nodes on the map, the answers flowing from client regions to nodes,
// queries per second, answer time and the last events. No libraries: this file is all of it.
"use strict";
(() => {
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 1000;
  const HEIGHT = 500;
  const KEEP_SECONDS = 300;
  const FLOW_SECONDS = 60;
  const state = { token: null, world: null, history: [], retry: 1000 };
  const $ = (id) => document.getElementById(id);

  function element(name, attributes, parent, text) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // Equirectangular: longitude and latitude straight onto the 1000 x 500 view box.
  function project(longitude, latitude) {
    return [((longitude + 180) / 360) * WIDTH, ((90 - latitude) / 180) * HEIGHT];
  }

  function ringPath(ring) {
    return ring.map(([lon, lat], i) => (i ? "L" : "M") + project(lon, lat).map((v) => v.toFixed(1)).join(",")).join("") + "Z";
  }

  function drawWorld() {
    const map = $("map");
    const base = element("g", { id: "world" }, map);
    for (let lon = -150; lon < 180; lon += 30) {
      const [x] = project(lon, 0);
      element("line", { class: "graticule", x1: x, y1: 0, x2: x, y2: HEIGHT }, base);
    }
    for (let lat = -60; lat < 90; lat += 30) {
      const [, y] = project(0, lat);
      element("line", { class: "graticule", x1: 0, y1: y, x2: WIDTH, y2: y }, base);
    }
    for (const land of state.world.land) element("path", { class: "land", d: ringPath(land.ring) }, base);
    for (const water of state.world.water) element("path", { class: "water", d: ringPath(water.ring) }, base);
    element("g", { id: "flows-layer" }, map);
    element("g", { id: "nodes-layer" }, map);
  }

  function readToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    if (fragment.has("token")) {
      sessionStorage.setItem("form-dns-token", fragment.get("token"));
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem("form-dns-token");
  }

  function setConnection(word) {
    const span = $("connection");
    span.dataset.state = word;
    span.textContent = word;
  }

  function showLogin(message) {
    setConnection("denied");
    $("login").hidden = false;
    $("login-error").textContent = message;
  }

  async function connect() {
    setConnection(state.history.length ? "reconnecting" : "connecting");
    const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
    // The server sends a snapshot every second: a stream silent for 5 s is dead (a lost
    // connection nobody closed), so it is dropped and made again.
    const controller = new AbortController();
    let watchdog = setTimeout(() => controller.abort(), 5000);
    let response;
    try {
      response = await fetch("/v1/dashboard/stream", { headers, cache: "no-store", signal: controller.signal });
    } catch (error) {
      clearTimeout(watchdog);
      return later();
    }
    if (response.status === 401 || response.status === 403) {
      clearTimeout(watchdog);
      const body = await response.json().catch(() => ({}));
      return showLogin(body.error || "this token may not read the dashboard");
    }
    if (!response.ok || !response.body) {
      clearTimeout(watchdog);
      return later();
    }
    state.retry = 1000;
    setConnection("live");
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ done: true }));
      clearTimeout(watchdog);
      if (done) break;
      watchdog = setTimeout(() => controller.abort(), 5000);
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        // One snapshot the page cannot show must not end the stream.
        try {
          handle(buffer.slice(0, end));
        } catch (error) {
          console.warn("dashboard: a snapshot was not shown:", error);
        }
        buffer = buffer.slice(end + 2);
      }
    }
    later();
  }

  function later() {
    setConnection("reconnecting");
    setTimeout(connect, state.retry);
    state.retry = Math.min(state.retry * 2, 15000);
  }

  // One server-sent event: "event:" and "data:" lines.
  function handle(block) {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (event === "snapshot" && data.length) render(JSON.parse(data.join("\n")));
  }

  function render(snapshot) {
    const seconds = Date.parse(snapshot.time) / 1000;
    state.history.push({ seconds, snapshot });
    while (state.history.length > 2 && seconds - state.history[0].seconds > KEEP_SECONDS) state.history.shift();
    $("version").textContent = snapshot.version ? "configuration version " + snapshot.version : "";
    $("clock").textContent = new Date(snapshot.time).toLocaleTimeString();
    renderNodes(snapshot.nodes);
    const flows = recentFlows(snapshot);
    renderFlows(flows);
    renderMap(snapshot.nodes, flows);
    renderCharts();
    renderEvents(snapshot.events);
  }

  function renderNodes(nodes) {
    const body = $("nodes").tBodies[0];
    body.replaceChildren();
    for (const node of nodes) {
      const row = document.createElement("tr");
      row.dataset.node = node.pool + "/" + node.id;
      row.dataset.state = node.state;
      cell(row, node.pool);
      cell(row, node.id + (node.enabled ? "" : " (disabled)"));
      cell(row, [node.ipv4, node.ipv6].filter(Boolean).join(" "));
      cell(row, [node.region, node.country].filter(Boolean).join(" / "));
      const stateCell = cell(row, "", "state");
      const badge = document.createElement("span");
      badge.className = node.state;
      badge.textContent = node.state + (node.override ? " (" + node.override + ")" : "");
      stateCell.appendChild(badge);
      cell(row, node.latencyMs === undefined || node.latencyMs === null ? "" : node.latencyMs.toFixed(1) + " ms");
      body.appendChild(row);
    }
  }

  // Answers per pool, client region and node over the last minute, with each node's share of
  // its region's answers; when none came in the last minute, those since the server started.
  function recentFlows(snapshot) {
    const key = (f) => f.pool + "|" + f.region + "|" + f.node;
    const now = state.history[state.history.length - 1].seconds;
    const then = state.history.find((h) => now - h.seconds <= FLOW_SECONDS) || state.history[0];
    const before = new Map(then.snapshot.flows.map((f) => [key(f), f.answers]));
    let flows = snapshot.flows.map((f) => ({ ...f, recent: f.answers - (before.get(key(f)) || 0) }));
    const lastMinute = then.snapshot !== snapshot && flows.some((f) => f.recent > 0);
    if (!lastMinute) flows = snapshot.flows.map((f) => ({ ...f, recent: f.answers }));
    $("flows-window").textContent = lastMinute ? "last minute" : "since the server started";
    flows = flows.filter((f) => f.recent > 0);
    const totals = new Map();
    for (const f of flows) totals.set(f.pool + "|" + f.region, (totals.get(f.pool + "|" + f.region) || 0) + f.recent);
    for (const f of flows) f.share = f.recent / totals.get(f.pool + "|" + f.region);
    return flows;
  }

  function renderFlows(flows) {
    const body = $("flows").tBodies[0];
    body.replaceChildren();
    for (const f of flows) {
      const row = document.createElement("tr");
      row.dataset.flow = f.pool + "/" + f.region + "/" + f.node;
      cell(row, f.pool);
      cell(row, f.region);
      cell(row, f.node);
      const share = cell(row, "");
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.width = Math.max(2, Math.round(f.share * 120)) + "px";
      share.appendChild(bar);
      share.appendChild(document.createTextNode(Math.round(f.share * 100) + "% (" + f.recent + ")"));
      body.appendChild(row);
    }
  }

  // Where a client region sits: a continent's centre, or the middle of the nodes in that region.
  function regionPlace(region, nodes) {
    const continent = state.world.continents[region];
    if (continent) return continent;
    const inRegion = nodes.filter((n) => n.region === region && n.longitude !== undefined && n.latitude !== undefined);
    if (!inRegion.length) return null;
    const mean = (key) => inRegion.reduce((sum, n) => sum + n[key], 0) / inRegion.length;
    return [mean("longitude"), mean("latitude")];
  }

  function renderMap(nodes, flows) {
    const flowLayer = $("flows-layer");
    const nodeLayer = $("nodes-layer");
    flowLayer.replaceChildren();
    nodeLayer.replaceChildren();
    const placed = new Map();
    for (const node of nodes) {
      if (node.longitude === undefined || node.latitude === undefined) continue;
      placed.set(node.pool + "/" + node.id, project(node.longitude, node.latitude));
    }
    for (const f of flows) {
      const from = regionPlace(f.region, nodes);
      const to = placed.get(f.pool + "/" + f.node);
      if (!from || !to) continue;
      const [x1, y1] = project(from[0], from[1]);
      const [x2, y2] = to;
      const lift = Math.hypot(x2 - x1, y2 - y1) / 4;
      const d = `M${x1.toFixed(1)},${y1.toFixed(1)} Q${((x1 + x2) / 2).toFixed(1)},${(Math.min(y1, y2) - lift).toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`;
      element("path", { class: "flow", d, "stroke-width": (1 + f.share * 5).toFixed(1) }, flowLayer);
    }
    for (const node of nodes) {
      const at = placed.get(node.pool + "/" + node.id);
      if (!at) continue;
      const circle = element("circle", {
        class: "node " + node.state, cx: at[0].toFixed(1), cy: at[1].toFixed(1), r: 6,
        "data-node": node.pool + "/" + node.id, "data-state": node.state,
      }, nodeLayer);
      element("title", {}, circle, node.pool + "/" + node.id + ": " + node.state);
      element("text", { class: "node-label", x: (at[0] + 8).toFixed(1), y: (at[1] + 4).toFixed(1) }, nodeLayer, node.id);
    }
  }

  // Rates between consecutive snapshots: queries per second and the sampled mean answer time.
  function renderCharts() {
    const qps = [];
    const latency = [];
    for (let i = 1; i < state.history.length; i++) {
      const a = state.history[i - 1];
      const b = state.history[i];
      const qa = a.snapshot.queries;
      const qb = b.snapshot.queries;
      const dt = b.seconds - a.seconds;
      if (!qa || !qb || dt <= 0) continue;
      qps.push([b.seconds, Math.max(0, qb.total - qa.total) / dt]);
      const count = qb.durationCount - qa.durationCount;
      if (count > 0) latency.push([b.seconds, ((qb.durationSumSeconds - qa.durationSumSeconds) / count) * 1e6]);
    }
    chart($("qps"), qps, (v) => v.toFixed(0) + " q/s");
    chart($("latency"), latency, (v) => v.toFixed(1) + " µs");
  }

  function chart(svg, points, format) {
    svg.replaceChildren();
    const [w, h, left, bottom] = [600, 160, 60, 18];
    element("line", { class: "axis", x1: left, y1: h - bottom, x2: w, y2: h - bottom }, svg);
    element("line", { class: "axis", x1: left, y1: 0, x2: left, y2: h - bottom }, svg);
    if (!points.length) {
      element("text", { x: left + 10, y: 20 }, svg, "waiting for data");
      return;
    }
    const now = points[points.length - 1][0];
    const top = Math.max(...points.map((p) => p[1]), 1e-9) * 1.1;
    const x = (t) => left + ((t - (now - KEEP_SECONDS)) / KEEP_SECONDS) * (w - left);
    const y = (v) => (h - bottom) * (1 - v / top);
    element("text", { x: 4, y: 12 }, svg, format(top));
    element("text", { x: 4, y: h - bottom }, svg, format(0));
    element("text", { x: left, y: h - 2 }, svg, "-5 min");
    element("text", { x: w - 30, y: h - 2 }, svg, "now");
    const line = points.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ");
    element("polyline", { class: "series", points: line }, svg);
  }

  function renderEvents(events) {
    const list = $("events");
    list.replaceChildren();
    for (const event of [...events].reverse()) {
      const item = document.createElement("li");
      item.dataset.kind = event.kind;
      const time = document.createElement("time");
      time.dateTime = event.time;
      time.textContent = new Date(event.time).toLocaleString();
      const kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = event.kind;
      item.append(time, kind, document.createTextNode(event.summary));
      list.appendChild(item);
    }
  }

  $("login").addEventListener("submit", (event) => {
    event.preventDefault();
    state.token = $("token").value.trim();
    sessionStorage.setItem("form-dns-token", state.token);
    $("login").hidden = true;
    connect();
  });

  async function start() {
    state.token = readToken();
    const response = await fetch("/dashboard/world.json");
    state.world = await response.json();
    drawWorld();
    connect();
  }

  start();
})();
