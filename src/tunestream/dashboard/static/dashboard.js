// The dashboard page: polls /api/{producer,kafka,tables,components} and redraws with Plotly (served locally).
"use strict";

const REFRESH_MS = Number(document.body.dataset.refreshMs) || 5000;
const FEATURE_NAMES = ["danceability", "energy", "valence", "tempo"];
const PLOT_CONFIG = { displayModeBar: false, responsive: true };
const COLORS = ["#1db954", "#3b7dd8", "#e8a33d", "#c8382c", "#8e5bd1", "#2bb3b1", "#d1559b",
  "#7a8699", "#5c9d3a", "#b5651d"];
const SOURCE_COLORS = { spotify: COLORS[0], reccobeats: COLORS[1], deezer: COLORS[2],
  musicbrainz: COLORS[4] };
let feature = "danceability";
let lastTables = null;

function baseLayout(extra) {
  return Object.assign({
    margin: { l: 50, r: 20, t: 30, b: 40 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { size: 11 },
    legend: { orientation: "h", y: -0.2 },
    colorway: COLORS,
  }, extra);
}

// Draw a chart; one without any point says what it waits for instead of showing empty axes.
function plot(id, traces, layout, emptyText) {
  const points = traces.reduce((n, t) => n + (t.x || t.y || t.q1 || []).length, 0);
  if (points === 0) {
    traces = [];
    layout = Object.assign({}, layout, {
      xaxis: { visible: false }, yaxis: { visible: false },
      annotations: [{ text: emptyText || "no data yet", showarrow: false,
        font: { size: 13, color: "#6b7385" }, xref: "paper", yref: "paper", x: 0.5, y: 0.5 }],
    });
  }
  Plotly.react(id, traces, baseLayout(layout), PLOT_CONFIG);
}

const HOUR_MS = 3600 * 1000;

// An hourly time axis that shows at least half a day, so a single hour is a bar, not a wall.
function hoursAxis(times) {
  if (times.length === 0) return {};
  const last = Math.max(...times.map((t) => t.getTime()));
  const first = Math.min(last - 11 * HOUR_MS, ...times.map((t) => t.getTime()));
  return { type: "date", range: [new Date(first - HOUR_MS / 2), new Date(last + HOUR_MS / 2)] };
}

function number(n) {
  if (n === null || n === undefined) return "–";
  return Math.round(n).toLocaleString();
}

function ago(seconds) {
  if (seconds === null || seconds === undefined) return "never";
  const s = Math.max(0, Date.now() / 1000 - seconds);
  if (s < 90) return `${Math.round(s)} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function bytes(n) {
  if (n === null || n === undefined) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

// Show a card's body, or its "waiting for …" line; the chip in the header says which.
function setState(cardIds, chipId, panel) {
  const chip = document.getElementById(chipId);
  chip.className = `chip ${panel.state}`;
  chip.title = panel.waiting_for || panel.reason || "";
  for (const id of cardIds) {
    const card = document.getElementById(id);
    const waiting = card.querySelector(".waiting");
    const body = card.querySelector(".body");
    if (panel.state === "ok") {
      waiting.hidden = true;
      body.hidden = false;
    } else {
      waiting.textContent = panel.state === "waiting"
        ? `Waiting for ${panel.waiting_for} …`
        : `Not available: ${panel.reason}`;
      waiting.hidden = false;
      body.hidden = true;
    }
  }
  return panel.state === "ok";
}

function drawProducer(p) {
  if (!setState(["ingest", "api"], "status-producer", p)) return;
  const total = Object.values(p.records).reduce((a, b) => a + b, 0);
  const times = p.rate.t.map((t) => new Date(t * 1000));
  const topics = Object.keys(p.rate.by_topic).sort();
  const now = topics.reduce((sum, t) => sum + (p.rate.by_topic[t].at(-1) || 0), 0);
  const cycles = Object.values(p.cycle_count).reduce((a, b) => a + b, 0);
  document.getElementById("kpi-records").textContent = number(total);
  document.getElementById("kpi-rate").textContent = now.toFixed(1);
  document.getElementById("kpi-cycles").textContent = number(cycles);
  document.getElementById("kpi-last").textContent = ago(p.last_success);
  drawSources(p.sources);

  plot("chart-rate", topics.map((topic) => ({
    x: times, y: p.rate.by_topic[topic], name: topic, type: "scatter", mode: "lines",
    stackgroup: "rate", line: { width: 1 },
  })), { title: { text: "records/s by topic", font: { size: 12 } } },
  "the rate shows from the second sample on");

  const ended = p.cycles.map((c) => new Date(c.ended * 1000).toLocaleTimeString());
  plot("chart-cycles", [
    {
      x: ended, y: p.cycles.map((c) => c.records), type: "bar", name: "records",
      marker: { color: p.cycles.map((c) => (c.result.includes("interrupted") ? "#c8382c" : "#1db954")) },
      text: p.cycles.map((c) => (c.cycles > 1 ? `${c.cycles} earlier cycles` : c.result)),
      textposition: "none",
      hovertemplate: "%{y:,} records<br>%{text}<extra></extra>",
    },
    {
      x: ended, y: p.cycles.map((c) => c.duration_s), type: "scatter", mode: "lines+markers",
      name: "duration (s)", yaxis: "y2", line: { color: "#3b7dd8" },
    },
  ], {
    title: { text: "cycles: records written and duration", font: { size: 12 } },
    xaxis: { type: "category", title: { text: "cycle ended" } },
    yaxis2: { overlaying: "y", side: "right", title: { text: "s" }, rangemode: "tozero" },
  }, "no cycle has ended yet");

  const endpoints = Object.keys(p.requests);
  const outcomes = [...new Set(endpoints.flatMap((e) => Object.keys(p.requests[e])))].sort();
  let requests = 0;
  for (const e of endpoints) for (const o of outcomes) requests += p.requests[e][o] || 0;
  const limited = Object.values(p.rate_limited).reduce((a, b) => a + b, 0);
  document.getElementById("kpi-requests").textContent = number(requests);
  document.getElementById("kpi-429").textContent = number(limited);
  const outcomeColor = (o) => (o.startsWith("2") ? "#1db954" : o === "429" ? "#e8a33d"
    : o.startsWith("4") ? "#8e5bd1" : "#c8382c");
  plot("chart-requests", outcomes.map((o) => ({
    y: endpoints, x: endpoints.map((e) => p.requests[e][o] || 0), name: o, type: "bar",
    orientation: "h", marker: { color: outcomeColor(o) },
  })), {
    barmode: "stack", margin: { l: 170, r: 20, t: 10, b: 40 }, xaxis: { type: "log", dtick: 1 },
    yaxis: { automargin: true },
  });

  const plan = document.getElementById("plan");
  plan.replaceChildren(
    ...p.plan.endpoints.map((e) => Object.assign(document.createElement("li"), { textContent: e })),
    ...p.plan.skipped.map((r) => Object.assign(document.createElement("li"),
      { textContent: r, className: "skipped", title: "skipped by the plan" })),
  );
}

// A row per source: what it wrote, at what rate now, its cycles, and how the last one ended.
function drawSources(sources) {
  const rows = Object.keys(sources).sort().map((name) => {
    const s = sources[name];
    const cycles = Object.keys(s.cycle_count).sort()
      .map((result) => `${number(s.cycle_count[result])} ${result}`).join(", ");
    const cells = [name, number(s.records), s.rate === null ? "–" : s.rate.toFixed(1),
      cycles || "–", s.last_cycle || "–", ago(s.last_success)];
    const row = document.createElement("tr");
    row.className = s.last_cycle || "";
    row.append(...cells.map((text) => Object.assign(document.createElement("td"), { textContent: text })));
    return row;
  });
  document.querySelector("#sources tbody").replaceChildren(...rows);
}

// One row per component: its state, pid, and the supervisor's restarts and last exit.
function drawComponents(c) {
  if (!setState(["components"], "status-components", c)) return;
  const rows = c.components.map((s) => {
    const state = s.running ? "running"
      : (["failed", "restarting"].includes(s.supervised) ? s.supervised : "stopped");
    const last = s.last_exit === null ? "–" : `${s.last_exit}, ${ago(s.last_exit_at)}`;
    const row = document.createElement("tr");
    row.className = state;
    row.append(...[s.name, state, s.pid || "–", number(s.restarts), last]
      .map((text) => Object.assign(document.createElement("td"), { textContent: text })));
    return row;
  });
  document.querySelector("#component-list tbody").replaceChildren(...rows);
}

function drawKafka(k) {
  if (!setState(["kafka"], "status-kafka", k)) return;
  const topics = k.topics.filter((t) => t.exists);
  document.getElementById("spark-progress").textContent = k.spark
    ? `${k.bootstrap} · Spark job: batch ${k.spark.batch} committed ${ago(k.spark.committed_at)}`
    : `${k.bootstrap} · Spark job: no batch committed yet`;
  plot("chart-topics", [{
    x: topics.map((t) => t.records), y: topics.map((t) => t.topic), type: "bar",
    orientation: "h", text: topics.map((t) => bytes(t.bytes)), textposition: "auto",
    hovertemplate: "%{y}: %{x:,} offsets<br>%{text}<extra></extra>", marker: { color: "#3b7dd8" },
  }], {
    title: { text: "records (offsets) and size", font: { size: 12 } },
    margin: { l: 170, r: 20, t: 30, b: 30 }, yaxis: { automargin: true },
  });
  const lagged = topics.filter((t) => t.spark_lag !== null && t.spark_lag !== undefined);
  plot("chart-lag", [{
    x: lagged.map((t) => t.spark_lag), y: lagged.map((t) => t.topic), type: "bar",
    orientation: "h", marker: { color: "#e8a33d" },
    hovertemplate: "%{y}: %{x:,} behind<extra></extra>",
  }], {
    title: { text: "Spark job lag (records not yet in the tables)", font: { size: 12 } },
    margin: { l: 170, r: 20, t: 30, b: 30 }, yaxis: { automargin: true },
    xaxis: { rangemode: "tozero" },
  }, "waiting for the Spark job's first committed batch");
}

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) % 360;
  return h;
}

// A cover: the image when it loads (it needs the internet), else a colour made from the id.
function cover(release) {
  const placeholder = document.createElement("div");
  const h = hue(release.album_id);
  placeholder.className = "cover";
  placeholder.style.background = `linear-gradient(135deg, hsl(${h} 60% 45%), hsl(${(h + 70) % 360} 55% 30%))`;
  placeholder.textContent = (release.name || "?").slice(0, 2).toUpperCase();
  if (!release.cover) return placeholder;
  const img = document.createElement("img");
  img.className = "cover";
  img.alt = release.name;
  img.loading = "lazy";
  img.src = release.cover;
  img.onerror = () => img.replaceWith(placeholder);
  return img;
}

function drawReleases(releases) {
  const list = document.getElementById("release-list");
  list.replaceChildren(...releases.map((r) => {
    const li = document.createElement("li");
    li.dataset.albumId = r.album_id;
    const title = Object.assign(document.createElement("div"), { className: "title", textContent: r.name });
    const artist = Object.assign(document.createElement("div"), {
      className: "artist", textContent: (r.artists || []).join(", "),
    });
    const markets = r.markets || [];
    const shown = markets.length > 4 ? `${markets.slice(0, 4).join(" ")} +${markets.length - 4}` : markets.join(" ");
    const meta = Object.assign(document.createElement("div"), {
      className: "meta", textContent: `${r.release_date || ""} · ${r.album_type || ""} · ${shown}`,
    });
    title.title = r.name;
    li.append(cover(r), title, artist, meta);
    return li;
  }));
}

function drawFeatures(t) {
  const rows = t.distributions[feature] || [];
  plot("chart-distribution", rows.map((r) => ({
    type: "box", name: r.market, x: [r.market],
    q1: [r.q[1]], median: [r.q[2]], q3: [r.q[3]], lowerfence: [r.q[0]], upperfence: [r.q[4]],
    mean: [r.mean], hovertemplate: `${r.market}: ${r.tracks} tracks<extra></extra>`,
  })), {
    title: { text: `${feature}: distribution by market (tracks)`, font: { size: 12 } },
    showlegend: false,
  }, "waiting for tracks with audio features");
  const markets = Object.keys(t.trends).sort();
  const hours = markets.flatMap((m) => t.trends[m].t.map((x) => new Date(x)));
  plot("chart-trend", markets.map((m) => ({
    x: t.trends[m].t.map((x) => new Date(x)), y: t.trends[m][feature], name: m,
    type: "scatter", mode: "lines+markers",
  })), {
    title: { text: `${feature}: hourly mean by market`, font: { size: 12 } },
    xaxis: hoursAxis(hours),
  },
  "waiting for the hourly release stats");
}

function drawHourly(h) {
  const t = h.hour.map((x) => new Date(x));
  const bars = (name) => ({ x: t, y: h[name], name, type: "bar", width: 0.8 * HOUR_MS });
  plot("chart-hourly", [
    bars("albums"),
    bars("singles"),
    bars("compilations"),
    { x: t, y: h.tracks, name: "tracks", type: "scatter", mode: "lines+markers", yaxis: "y2" },
  ], {
    barmode: "stack",
    title: { text: "new releases per hour (album × market of discovery)", font: { size: 12 } },
    xaxis: hoursAxis(t),
    yaxis2: { overlaying: "y", side: "right", title: { text: "tracks" }, rangemode: "tozero" },
  }, "waiting for the hourly release stats");
}

// Of the tracks first seen in the window, the share that has what each source adds.
function drawCoverage(c) {
  document.getElementById("coverage-note").textContent =
    `${number(c.tracks)} tracks first seen in the ${c.hours} h up to the newest`;
  const rows = c.tracks ? [...c.sources].reverse() : [];
  plot("chart-coverage", [{
    x: rows.map((r) => 100 * r.share), y: rows.map((r) => `${r.source}: ${r.what}`),
    type: "bar", orientation: "h", marker: { color: rows.map((r) => SOURCE_COLORS[r.source]) },
    text: rows.map((r) => `${number(r.tracks)} of ${number(c.tracks)}`), textposition: "auto",
    hovertemplate: "%{y}: %{x:.1f} %<br>%{text}<extra></extra>",
  }], {
    margin: { l: 170, r: 20, t: 10, b: 30 }, yaxis: { automargin: true },
    xaxis: { range: [0, 100], ticksuffix: " %" },
  }, "waiting for tracks in tracks_enriched");
}

function drawTables(t) {
  if (!setState(["releases", "features", "hourly", "coverage"], "status-tables", t)) return;
  lastTables = t;
  drawReleases(t.releases);
  drawFeatures(t);
  drawHourly(t.hourly);
  drawCoverage(t.coverage);
}

function featureSwitch() {
  const box = document.getElementById("feature-switch");
  box.replaceChildren(...FEATURE_NAMES.map((name) => {
    const b = Object.assign(document.createElement("button"), { textContent: name, type: "button" });
    b.className = name === feature ? "on" : "";
    b.onclick = () => {
      feature = name;
      featureSwitch();
      if (lastTables) drawFeatures(lastTables);
    };
    return b;
  }));
}

async function fetchPanel(name) {
  try {
    const response = await fetch(`/api/${name}`, { cache: "no-store" });
    if (!response.ok) return { state: "unavailable", reason: `HTTP ${response.status}` };
    return await response.json();
  } catch (error) {
    return { state: "unavailable", reason: "the dashboard server does not answer" };
  }
}

async function refresh() {
  const [producer, kafka, tables, components] = await Promise.all(
    ["producer", "kafka", "tables", "components"].map(fetchPanel));
  drawProducer(producer);
  drawComponents(components);
  drawKafka(kafka);
  drawTables(tables);
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
}

async function loop() {
  await refresh();
  setTimeout(loop, REFRESH_MS);
}

featureSwitch();
loop();
