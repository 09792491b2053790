#pragma once
// The dashboard's page: one self-contained HTML document (its CSS and script inline, no
// fonts, no CDN), which polls status.json twice a second and draws the run. Every figure
// sits in an element a test can find: tr[data-kind=KIND] td.done, td.failed, ...

#include <string_view>

namespace taskfarm {

inline constexpr std::string_view kDashboardPage = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>taskfarm run</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}
h1{font-size:1.3em;margin:0 0 .2em} h2{font-size:1.05em;margin:1.4em 0 .4em}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:.3em .8em;text-align:right;border-bottom:1px solid #eee} th{background:#f0f0f0}
td:first-child,th:first-child{text-align:left}
#state{display:inline-block;padding:.1em .6em;border-radius:.8em;color:#fff;background:#2a7}
#state.finished{background:#555} .bar{height:.6em;background:#ddd;width:10em;display:inline-block}
.bar span{display:block;height:100%;background:#2a7} .failed{color:#b22}
svg{background:#fff;box-shadow:0 1px 2px #0002} .muted{color:#888}
</style></head><body>
<h1>taskfarm run <span id="state">running</span></h1>
<div class="muted">elapsed <span id="elapsed">0</span> s &middot; <span id="finished-total">0</span> tasks finished &middot; updated twice a second</div>
<h2>Tasks by kind</h2>
<table id="kinds"><thead><tr><th>kind</th><th>done</th><th>of</th><th>progress</th><th>skipped</th><th>failed</th><th>retried</th><th>in flight</th><th>tasks/s</th><th>ETA s</th></tr></thead><tbody></tbody></table>
<h2>Throughput (tasks finished per second)</h2>
<svg id="throughput" width="640" height="140" viewBox="0 0 640 140"><polyline fill="none" stroke="#2a7" stroke-width="2" points=""/><text x="6" y="14" font-size="11" fill="#888" id="throughput-max"></text></svg>
<h2>Workers</h2>
<table id="workers"><thead><tr><th>worker</th><th>host</th><th>pid</th><th>running</th><th>held</th><th>sent</th><th>CPU s</th><th>RSS MiB</th></tr></thead><tbody></tbody></table>
<h2>Rate limits</h2>
<table id="buckets"><thead><tr><th>bucket</th><th>limit</th><th>burst</th><th>tokens granted</th><th>granted/s</th><th>waited s</th><th>back-offs</th></tr></thead><tbody></tbody></table>
<div id="bucket-charts"></div>
<h2>Failures</h2>
<table id="reasons"><thead><tr><th>kind</th><th>reason</th><th>tasks</th></tr></thead><tbody></tbody></table>
<h2>Last failed tasks</h2>
<table id="failures"><thead><tr><th>kind</th><th>task</th><th>error</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
const token = new URLSearchParams(location.search).get("token");
const statusUrl = "status.json" + (token ? "?token=" + encodeURIComponent(token) : "");
function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
function fill(id, rows) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren(...rows);
}
function row(attrs, cells) {
  const tr = document.createElement("tr");
  for (const [k, v] of Object.entries(attrs)) tr.setAttribute(k, v);
  tr.append(...cells);
  return tr;
}
function fixed(x, digits) { return x === null || x === undefined ? "" : Number(x).toFixed(digits); }
function draw(status) {
  document.getElementById("elapsed").textContent = fixed(status.elapsed_s, 1);
  const state = document.getElementById("state");
  state.textContent = status.finished ? "finished" : "running";
  state.className = status.finished ? "finished" : "";
  let total = 0;
  fill("kinds", status.kinds.map(k => {
    total += k.finished;
    const share = k.total ? Math.min(1, k.finished / k.total) : 0;
    const bar = document.createElement("td");
    bar.innerHTML = '<span class="bar"><span style="width:' + (100 * share).toFixed(1) + '%"></span></span>';
    return row({"data-kind": k.kind}, [cell(k.kind), cell(k.done, "done"), cell(k.total ?? "?", "total"), bar,
      cell(k.skipped, "skipped"), cell(k.failed, "failed"), cell(k.retried, "retried"), cell(k.in_flight, "in-flight"),
      cell(fixed(k.rate_per_s, 1), "rate"), cell(k.eta_s === null ? "" : fixed(k.eta_s, 0), "eta")]);
  }));
  document.getElementById("finished-total").textContent = total;
  fill("workers", status.workers.map(w => row({"data-worker": w.id}, [cell(w.id), cell(w.host), cell(w.pid),
    cell(w.running || "idle", "running"), cell(w.held, "held"), cell(w.sent, "sent"),
    cell(fixed(w.cpu_s, 2), "cpu"), cell(w.rss_bytes === null ? "" : fixed(w.rss_bytes / 1048576, 1), "rss")])));
  fill("buckets", status.buckets.map(b => row({"data-bucket": b.name}, [cell(b.name), cell(b.rate), cell(b.burst),
    cell(b.granted, "granted"), cell(fixed(status.elapsed_s > 0 ? b.granted / status.elapsed_s : 0, 1)),
    cell(fixed(b.wait_s, 1), "waited"), cell(b.backoffs, "backoffs")])));
  // Each bucket's tokens used per second over time (granted ones whose time has come),
  // against its limit (dashed).
  document.getElementById("bucket-charts").replaceChildren(...status.buckets.map(b => {
    const rates = [];
    for (let i = 1; i < b.history.length; i++) {
      const dt = b.history[i][0] - b.history[i - 1][0];
      if (dt >= 0.1) rates.push([b.history[i][0], (b.history[i][1] - b.history[i - 1][1]) / dt]);
    }
    const top = Math.max(b.limit_per_s * 1.25, 1, ...rates.map(r => r[1]));
    const t0 = rates.length ? rates[0][0] : 0, t1 = rates.length ? rates[rates.length - 1][0] : 1;
    const y = v => (134 - 112 * v / top).toFixed(1);
    const points = rates.map(r => (6 + 628 * (r[0] - t0) / Math.max(1e-9, t1 - t0)).toFixed(1) + "," + y(r[1])).join(" ");
    const box = document.createElement("div");
    box.innerHTML = '<h3 style="font-size:.95em;margin:.8em 0 .3em">' + b.name.replace(/[<&]/g, "") +
      ': tokens used per second, limit ' + b.limit_per_s.toFixed(2) + '/s dashed</h3>' +
      '<svg class="bucket-chart" data-bucket="' + b.name.replace(/[<&"]/g, "") + '" width="640" height="140">' +
      '<line x1="6" x2="634" y1="' + y(b.limit_per_s) + '" y2="' + y(b.limit_per_s) + '" stroke="#c22" stroke-dasharray="5,4"/>' +
      '<polyline fill="none" stroke="#37c" stroke-width="2" points="' + points + '"/></svg>';
    return box;
  }));
  const reasons = [];
  for (const k of status.kinds) for (const [reason, n] of Object.entries(k.failed_by_reason)) {
    reasons.push(row({"data-reason": k.kind + "/" + reason}, [cell(k.kind), cell(reason), cell(n, "count")]));
  }
  fill("reasons", reasons);
  fill("failures", status.failures.slice().reverse().map(f => row({}, [cell(f.kind), cell(f.task), cell(f.error)])));
  const h = status.history, svg = document.getElementById("throughput");
  const rates = [];
  for (let i = 1; i < h.length; i++) {
    const dt = h[i][0] - h[i - 1][0];
    if (dt >= 0.1) rates.push([h[i][0], (h[i][1] - h[i - 1][1]) / dt]);  // the last one may come early
  }
  const max = Math.max(1, ...rates.map(r => r[1]));
  const t0 = rates.length ? rates[0][0] : 0, t1 = rates.length ? rates[rates.length - 1][0] : 1;
  svg.querySelector("polyline").setAttribute("points", rates.map(r =>
    (6 + 628 * (r[0] - t0) / Math.max(1e-9, t1 - t0)).toFixed(1) + "," + (134 - 112 * r[1] / max).toFixed(1)).join(" "));
  document.getElementById("throughput-max").textContent = "max " + max.toFixed(0) + "/s";
  return status.finished;
}
async function poll() {
  try {
    const reply = await fetch(statusUrl, {cache: "no-store"});
    if (reply.ok && draw(await reply.json())) return;  // finished: the figures are final
  } catch (e) {
    document.getElementById("state").textContent = "run gone";
    return;
  }
  setTimeout(poll, 500);
}
poll();
</script></body></html>
)html";

}  // namespace taskfarm
