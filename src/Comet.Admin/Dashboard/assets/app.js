// CometGrains dashboard: polls the silo's admin API and draws by hand (no framework, no CDN).
// Grains, silos and call rates in Orleans's own terms are one click away (the Orleans Dashboard link).
// Everything from the server is put into the page as text, never as HTML.
"use strict";

const KEY_STORAGE = "comet.adminKey";
const POLL_MS = 2000;
const RING_POLL_MS = 10000;

const $ = (id) => document.getElementById(id);

function adminKey() { return sessionStorage.getItem(KEY_STORAGE) || ""; }

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const key = adminKey();
  if (key) headers["X-Comet-Admin-Key"] = key;
  const response = await fetch(path, Object.assign({}, options, { headers }));
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (!response.ok) {
    const message = body && body.message ? body.message : response.status + " " + response.statusText;
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }
  return body;
}

function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.className = "status" + (isError ? " error" : "");
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v; else if (k === "style") node.style.cssText = v; else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
  return node;
}

function siloColor(id) {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${(h * 137) % 360}, 60%, 50%)`;
}

function duration(seconds) {
  if (seconds == null) return "–";
  const s = Math.floor(seconds);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}

function ms(v) { return v == null ? "–" : (v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0)) + " ms"; }

// ---- cluster ----

function renderCluster(cluster) {
  $("served-by").textContent = "served by " + cluster.self;
  const live = cluster.silos.filter((s) => s.live);
  $("silo-count").textContent = String(live.length);
  $("view-version").textContent = `membership v${cluster.viewVersion}, ${cluster.silos.length} listed`;
  const body = $("cluster-table").querySelector("tbody");
  body.replaceChildren(...cluster.silos.map((s) => {
    const row = el("tr", { "data-silo": s.id, "data-live": String(s.live) },
      el("td", null, el("span", { class: "swatch", style: "background:" + siloColor(s.id) }), s.id, s.isSelf ? " (this)" : ""),
      el("td", null, el("span", { class: "pill " + s.status }, s.status)),
      el("td", null, s.live ? "yes" : "no"),
      el("td", { title: s.address }, s.host),
      el("td", null, `${s.siloPort} / ${s.gatewayPort} / ${s.httpPort == null ? "–" : s.httpPort}`),
      el("td", null, duration(s.uptimeSeconds)),
      el("td", null, s.activations == null ? "–" : s.activations),
      el("td", null, s.partitionsOwned),
      el("td", null, s.state || "–"),
      el("td", { class: "muted" }, s.error || ""));
    return row;
  }));
}

// ---- ring ----

function renderRing(ring) {
  const canvas = $("ring-canvas");
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const per = w / ring.partitions;
  ring.preferenceLists.forEach((list, p) => {
    // Top band: the owner; the thinner bands below: the other replicas, in preference order.
    list.forEach((silo, rank) => {
      ctx.fillStyle = siloColor(silo);
      const y = rank === 0 ? 0 : h * 0.55 + (rank - 1) * (h * 0.45 / Math.max(1, list.length - 1));
      const height = rank === 0 ? h * 0.55 - 2 : h * 0.45 / Math.max(1, list.length - 1) - 1;
      ctx.fillRect(p * per, y, Math.max(per, 1), height);
    });
  });
  $("ring-summary").textContent = `${ring.partitions} partitions, N=${ring.replicationFactor}, view v${ring.viewVersion}`;
  $("ring-legend").replaceChildren(...ring.silos.map((s) =>
    el("span", null, el("span", { class: "swatch", style: "background:" + siloColor(s) }), `${s}: owns ${ring.owned[s] || 0}, replicates ${ring.replicas[s] || 0}`)));
}

// ---- metrics ----

function drawChart(canvas, series, lines) {
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, pad = 28;
  ctx.clearRect(0, 0, w, h);
  let max = 0;
  for (const line of lines) for (const p of series) { const v = line.value(p); if (v != null && v > max) max = v; }
  if (max <= 0) max = 1;
  ctx.strokeStyle = "#dde1e8"; ctx.fillStyle = "#6b7385"; ctx.font = "10px sans-serif"; ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad / 2 + (h - pad) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w - 4, y); ctx.stroke();
    const label = max * (4 - i) / 4;
    ctx.fillText(label >= 10 ? label.toFixed(0) : label.toFixed(2), 2, y + 3);
  }
  const n = Math.max(series.length - 1, 1);
  for (const line of lines) {
    ctx.strokeStyle = line.color; ctx.lineWidth = 2; ctx.beginPath();
    let started = false;
    series.forEach((p, i) => {
      const v = line.value(p);
      if (v == null) { started = false; return; }
      const x = pad + (w - pad - 4) * i / n;
      const y = pad / 2 + (h - pad) * (1 - v / max);
      if (started) ctx.lineTo(x, y); else { ctx.moveTo(x, y); started = true; }
    });
    ctx.stroke();
  }
  ctx.fillStyle = "#6b7385";
  ctx.fillText("-60 s", pad, h - 2);
  ctx.fillText("now", w - 26, h - 2);
}

function renderMetrics(m) {
  $("m-ops").textContent = m.opsPerSecond.toFixed(1);
  $("m-p50").textContent = ms(m.latency.p50Ms);
  $("m-p99").textContent = ms(m.latency.p99Ms);
  $("m-cluster-ops").textContent = m.cluster ? m.cluster.opsPerSecond.toFixed(1) : "–";
  const byCode = (o) => { const e = Object.entries(o || {}); return e.length ? e.map(([c, n]) => `${c}: ${n}`).join(", ") : "none"; };
  $("m-errors").textContent = byCode(m.cluster ? m.cluster.errors : m.errors);
  $("m-failures").textContent = byCode(m.cluster ? m.cluster.handlerFailures : m.handlerFailures);
  drawChart($("chart-ops"), m.series, [{ color: "#3461c1", value: (p) => p.ops }]);
  drawChart($("chart-latency"), m.series, [
    { color: "#3461c1", value: (p) => p.p50Ms },
    { color: "#c23b3b", value: (p) => p.p99Ms },
  ]);
  $("ops-table").querySelector("tbody").replaceChildren(...Object.entries(m.ops).map(([op, o]) =>
    el("tr", null, el("td", null, op), el("td", null, o.total), el("td", null, o.perSecond.toFixed(1)), el("td", null, ms(o.p50Ms)), el("td", null, ms(o.p99Ms)))));
}

// ---- key inspector ----

function statsList(stats) {
  return el("dl", { class: "handler-stats" },
    el("dt", null, "calls"), el("dd", { class: "calls" }, stats.calls),
    el("dt", null, "failures"), el("dd", { class: "failures" }, stats.failures),
    el("dt", null, "Lua heap"), el("dd", null, `${stats.heapBytes} B`));
}

function renderVersion(v) {
  const box = el("div", { class: "version", "data-version": v.version },
    el("dl", null,
      el("dt", null, "version"), el("dd", { class: "version-id" }, v.version),
      el("dt", null, "kind"), el("dd", null, v.kind),
      el("dt", null, "written"), el("dd", null, new Date(v.writtenAt).toLocaleString()),
      el("dt", null, "expires"), el("dd", null, v.expiresAt ? new Date(v.expiresAt).toLocaleString() + (v.expired ? " (expired)" : "") : "never")));
  if (v.kind === "value") box.append(el("div", { class: "muted" }, "value"), el("pre", null, v.value != null ? v.value : "(binary) " + v.base64));
  if (v.state != null) box.append(el("div", { class: "muted" }, "state"), el("pre", { class: "state" }, JSON.stringify(v.state, null, 2)));
  if (v.code != null) box.append(el("div", { class: "muted" }, "code"), el("pre", { class: "code" }, v.code));
  if (v.handler) box.append(el("div", { class: "muted" }, "handler statistics"), statsList(v.handler));
  return box;
}

function renderKey(answer) {
  $("inspect-summary").textContent = `${answer.namespace}/${answer.key}: partition ${answer.partition}, preference list ${answer.preferenceList.join(", ")}`;
  $("replicas").replaceChildren(...answer.replicas.map((r) => {
    const card = el("div", { class: "replica" + (r.reachable ? "" : " unreachable"), "data-silo": r.silo },
      el("h3", null, el("span", { class: "swatch", style: "background:" + siloColor(r.silo) }), `replica ${r.rank} on ${r.silo} `,
        el("span", { class: "muted" }, r.ringSilo && r.ringSilo !== r.silo ? `(the ring names ${r.ringSilo}: moving back)` : r.rank === 0 ? "(first in the preference list)" : "")));
    if (!r.reachable) card.append(el("div", { class: "muted" }, "unreachable: " + r.error));
    else if (r.versions.length === 0) card.append(el("div", { class: "muted" }, "holds nothing for this key"));
    else card.append(...r.versions.map(renderVersion));
    if (r.historyCount) card.append(el("div", { class: "muted" }, `${r.historyCount} older version(s) kept`));
    return card;
  }));
}

async function inspect(event) {
  if (event) event.preventDefault();
  const ns = $("inspect-ns").value.trim();
  const key = $("inspect-key").value;
  if (!ns || !key) return;
  $("inspect-summary").textContent = "looking up…";
  try {
    renderKey(await api(`/admin/keys/${encodeURIComponent(ns)}/${encodeURIComponent(key)}`));
  } catch (e) {
    $("inspect-summary").textContent = "error: " + e.message;
    $("replicas").replaceChildren();
  }
}

// ---- polling ----

async function poll() {
  try {
    const [cluster, metrics] = await Promise.all([api("/admin/cluster"), api("/admin/metrics?scope=cluster")]);
    renderCluster(cluster);
    renderMetrics(metrics);
    setStatus("updated " + new Date().toLocaleTimeString(), false);
  } catch (e) {
    setStatus(e.status === 401 ? "admin key needed: " + e.message : "error: " + e.message, true);
  }
}

async function pollRing() {
  try { renderRing(await api("/admin/ring")); } catch { /* the status line already shows why */ }
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_STORAGE, $("admin-key").value);
  poll(); pollRing();
});
$("inspect-form").addEventListener("submit", inspect);
$("admin-key").value = adminKey();

poll();
pollRing();
setInterval(poll, POLL_MS);
setInterval(pollRing, RING_POLL_MS);
