// moonbase partner portal: plain JavaScript over the REST API (no build step).
"use strict";

const state = { token: sessionStorage.getItem("moonbase-token") || "", me: null };
const $ = (sel) => document.querySelector(sel);

async function api(path, options = {}) {
  const headers = { Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { ...options, headers });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  return { ok: response.ok, status: response.status, data };
}

function text(value) { return value === null || value === undefined ? "" : String(value); }

function row(cells, classes = {}) {
  const tr = document.createElement("tr");
  cells.forEach((cell, i) => {
    const td = document.createElement("td");
    td.textContent = text(cell);
    if (classes[i]) td.className = classes[i];
    tr.appendChild(td);
  });
  return tr;
}

async function login(event) {
  if (event) event.preventDefault();
  const typed = $("#token").value.trim();
  if (typed) state.token = typed;
  const { ok, data } = await api("/api/me");
  if (!ok) {
    $("#login-error").textContent = (data && data.message) || "sign-in failed";
    return;
  }
  sessionStorage.setItem("moonbase-token", state.token);
  state.me = data;
  $("#who").textContent = `${data.partner_name} (${data.role})`;
  $("#login-panel").hidden = true;
  $("#portal").hidden = false;
  $("#logout").hidden = false;
  $("#run-schedule").hidden = data.role !== "station_planner";
  await refreshAll();
}

function logout() {
  sessionStorage.removeItem("moonbase-token");
  state.token = "";
  location.reload();
}

async function drawPlan() {
  const list = await api("/api/plans");
  if (!list.ok || list.data.length === 0) return;
  const plan = (await api(`/api/plans/${list.data[0].id}`)).data;
  $("#plan-summary").textContent =
    `Plan ${plan.id}: ${plan.summary.flights || plan.body.tasks.length} flights`;
  const tasks = plan.body.tasks || [];
  const partners = [...new Set(tasks.map((t) => t.partner))];
  const traces = partners.map((p) => {
    const mine = tasks.filter((t) => t.partner === p);
    return {
      type: "bar", orientation: "h", name: p,
      y: mine.map((t) => t.element),
      base: mine.map((t) => t.start),
      x: mine.map((t) => new Date(t.finish) - new Date(t.start)),
      hovertext: mine.map((t) => `${t.element}: ${t.start} to ${t.finish}`),
    };
  });
  Plotly.react("plan-gantt", traces, {
    barmode: "overlay", xaxis: { type: "date" }, yaxis: { autorange: "reversed" },
    margin: { t: 10 }, height: 320,
  }, { responsive: true });
  const map = plan.body.site_map;
  if (map) {
    $("#site-summary").textContent = `Sunlit fraction around the site (plan ${plan.id})`;
    Plotly.react("site-map", [{
      type: "heatmap", x: map.x_km, y: map.y_km, z: map.sunlit_fraction,
      colorbar: { title: "sunlit" }, zmin: 0, zmax: 1,
    }], { xaxis: { title: "x (km)" }, yaxis: { title: "y (km)", scaleanchor: "x" },
          margin: { t: 10 }, height: 320 }, { responsive: true });
  }
}

async function drawSimulation() {
  const list = await api("/api/simulations");
  if (!list.ok || list.data.length === 0) return;
  const sim = (await api(`/api/simulations/${list.data[0].id}`)).data;
  const series = sim.body.series;
  $("#simulation-summary").textContent =
    `Simulation ${sim.id}: ${series.hour.length} hours, mean power ${Math.round(sim.summary.mean_power_w)} W`;
  Plotly.react("power-series", [
    { x: series.hour, y: series.power_w, name: "power (W)" },
    { x: series.hour, y: series.data_gb, name: "data (GB)", yaxis: "y2" },
  ], { xaxis: { title: "hour" }, yaxis: { title: "W" },
       yaxis2: { title: "GB", overlaying: "y", side: "right" }, margin: { t: 10 }, height: 320 },
  { responsive: true });
}

async function drawShares() {
  const { ok, data } = await api("/api/shares");
  if (!ok) return;
  Plotly.react("shares", [
    { type: "bar", name: "entitlement", x: data.map((p) => p.partner_id), y: data.map((p) => p.entitlement) },
    { type: "bar", name: "scheduled share", x: data.map((p) => p.partner_id), y: data.map((p) => p.share) },
  ], { barmode: "group", yaxis: { range: [0, 1], title: "fraction" }, margin: { t: 10 }, height: 320 },
  { responsive: true });
}

async function listRequests() {
  const { ok, data } = await api("/api/requests");
  const body = $("#requests-table tbody");
  body.replaceChildren();
  if (!ok) return;
  for (const r of data) {
    const notes = (r.messages || []).map((m) => m.msg).join("; ");
    const tr = row([r.id, r.partner_id, r.title, `${r.earliest} to ${r.latest}`, r.duration_h,
      r.status, r.scheduled_start, notes], { 5: `status status-${r.status}` });
    tr.dataset.id = r.id;
    tr.dataset.status = r.status;
    body.appendChild(tr);
  }
}

async function listProducts() {
  const { ok, data } = await api("/api/products");
  const body = $("#products-table tbody");
  body.replaceChildren();
  if (!ok) return;
  for (const p of data) {
    body.appendChild(row([p.id, p.partner_id, p.name, p.access,
      p.embargoed ? `${p.embargo_until} (embargoed)` : text(p.embargo_until), p.size_bytes]));
  }
}

async function refreshAll() {
  await Promise.all([drawPlan(), drawSimulation(), drawShares(), listRequests(), listProducts()]);
}

function showMessages(items, kind) {
  const list = $("#form-messages");
  list.replaceChildren();
  for (const item of items) {
    const li = document.createElement("li");
    li.className = kind;
    li.textContent = item;
    list.appendChild(li);
  }
}

async function submitRequest(event) {
  event.preventDefault();
  const form = event.target;
  const values = Object.fromEntries(new FormData(form).entries());
  const missing = ["title", "instrument", "duration_h", "power_w", "data_gb", "earliest", "latest"]
    .filter((name) => !values[name]);
  if (missing.length) {
    showMessages(missing.map((name) => `${name}: required`), "error");
    return;
  }
  const body = {
    title: values.title, instrument: values.instrument,
    duration_h: Number(values.duration_h), power_w: Number(values.power_w),
    data_gb: Number(values.data_gb), earliest: values.earliest, latest: values.latest,
    priority: Number(values.priority), needs_sunlight: form.needs_sunlight.checked,
    category: values.category || "basic_science",
  };
  const { ok, data } = await api("/api/requests", { method: "POST", body: JSON.stringify(body) });
  if (!ok) {
    const details = Array.isArray(data && data.detail) ? data.detail : [];
    const lines = details.length
      ? details.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}${d.hint ? ` (${d.hint})` : ""}`)
      : [(data && data.message) || "request refused"];
    showMessages(lines, "error");
    return;
  }
  const notes = (data.messages || []).map((m) => `note: ${m.msg}`);
  showMessages([`Request ${data.id} ${data.status}`, ...notes], "ok");
  form.reset();
  await listRequests();
}

async function runSchedule() {
  const { ok, data } = await api("/api/jobs", { method: "POST", body: JSON.stringify({ kind: "schedule" }) });
  if (!ok) { $("#job-status").textContent = data.message; return; }
  let job = data;
  while (!["done", "failed", "cancelled"].includes(job.status)) {
    $("#job-status").textContent = `schedule job ${job.id}: ${job.status} ${Math.round(job.progress * 100)} %`;
    await new Promise((resolve) => setTimeout(resolve, 300));
    job = (await api(`/api/jobs/${job.id}`)).data;
  }
  $("#job-status").textContent = `schedule job ${job.id}: ${job.status}${job.error ? ` (${job.error})` : ""}`;
  await refreshAll();
}

$("#login-form").addEventListener("submit", login);
$("#logout").addEventListener("click", logout);
$("#request-form").addEventListener("submit", submitRequest);
$("#refresh").addEventListener("click", refreshAll);
$("#run-schedule").addEventListener("click", runSchedule);
if (state.token) login();
