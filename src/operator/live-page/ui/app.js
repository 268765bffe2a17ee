// The live pool page: one EventSource, one aggregated snapshot per push; uPlot charts of the last minute.
/* global uPlot */
'use strict';

const HISTORY = 120;
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (v, d = 2) => (v === null || v === undefined ? '–' : Number(v).toFixed(d));
const COLORS = ['#4c8bf5', '#e8710a', '#137333', '#c5221f', '#9334e6', '#12b5cb', '#f9ab00', '#5f6368'];

const charts = { picks: null, queue: null, kv: null };
let keys = [];
const history = { t: [], picks: [], queue: [], kv: [] };

function resetCharts(newKeys) {
  keys = newKeys;
  history.t = [];
  for (const name of ['picks', 'queue', 'kv']) {
    history[name] = keys.map(() => []);
    if (charts[name]) charts[name].destroy();
    const el = $(`chart-${name}`);
    charts[name] = new uPlot(
      {
        width: Math.max(260, el.clientWidth || 380),
        height: 170,
        legend: { show: keys.length <= 8, live: false },
        scales: { x: { time: true } },
        series: [{}, ...keys.map((k, i) => ({ label: k, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
      },
      [[], ...keys.map(() => [])],
      el,
    );
  }
}

function plot(endpoints, at) {
  const newKeys = endpoints.map((e) => e.key);
  if (newKeys.join() !== keys.join()) resetCharts(newKeys);
  history.t.push(at / 1000);
  endpoints.forEach((e, i) => {
    history.picks[i].push(e.picksPerSec);
    history.queue[i].push(e.queue);
    history.kv[i].push(e.kv);
  });
  if (history.t.length > HISTORY) {
    history.t.shift();
    for (const name of ['picks', 'queue', 'kv']) for (const s of history[name]) s.shift();
  }
  for (const name of ['picks', 'queue', 'kv']) charts[name].setData([history.t, ...history[name]]);
}

function endpointsTable(endpoints) {
  $('endpoints').tBodies[0].innerHTML = endpoints
    .map(
      (e) => `<tr data-endpoint="${esc(e.key)}"><td>${esc(e.key)}</td><td>${esc(e.pod)}${e.role ? ` <small>${esc(e.role)}</small>` : ''}</td>
<td class="health health-${e.health}">${e.health}</td><td>${e.metricAgeMs === null ? '–' : `${Math.round(e.metricAgeMs)} ms`}</td>
<td class="queue">${e.queue}</td><td class="running">${e.running}</td><td class="inflight">${e.inflight}</td><td class="kv">${fmt(e.kv * 100, 0)}%</td>
<td>${esc(e.adapters.join(', ') || '–')}${e.waitingAdapters.length ? ` <small>(waiting: ${esc(e.waitingAdapters.join(', '))})</small>` : ''}${e.maxLora ? ` <small>/${e.maxLora}</small>` : ''}</td>
<td class="picks-per-sec">${fmt(e.picksPerSec, 1)}</td><td class="picks">${e.picks}</td></tr>`,
    )
    .join('');
}

function countsTable(id, counts) {
  const rows = Object.entries(counts).filter(([, n]) => n > 0);
  $(id).tBodies[0].innerHTML = rows.length ? rows.map(([k, n]) => `<tr><td>${esc(k || '(none)')}</td><td>${n}</td></tr>`).join('') : '<tr><td>none</td></tr>';
  return rows.reduce((s, [, n]) => s + n, 0);
}

function decisionsView(decisions) {
  $('decisions').innerHTML = decisions
    .map((d) => {
      const head = `<div><b>${esc(d.model || '-')}</b> ${new Date(d.at).toLocaleTimeString()} — ${d.outcome === 'routed' ? `→ ${esc(d.destination)}` : `${esc(d.outcome)}: ${esc(d.reason)}`}</div>`;
      const profiles = d.profiles
        .map((p) => {
          const cols = p.scorers.map((s) => `<th>${esc(s.name)} ×${s.weight}</th>`).join('');
          const rows = p.endpoints
            .map((e) => `<tr class="${e.rank === 0 ? 'picked' : ''}"><td>${esc(e.endpoint)}</td>${p.scorers.map((_, i) => `<td>${e.scores[i] === undefined ? '–' : fmt(e.scores[i], 3)}</td>`).join('')}<td>${e.removedBy ? '–' : fmt(e.total, 3)}</td><td class="why">${e.rank === 0 ? 'picked' : esc(e.why)}</td></tr>`)
            .join('');
          return `<div><small>profile ${esc(p.profile)} · picker ${esc(p.picker.type)}</small><table><thead><tr><th>endpoint</th>${cols}<th>total</th><th></th></tr></thead><tbody>${rows}</tbody></table></div>`;
        })
        .join('');
      return `<div class="decision ${d.outcome === 'routed' ? '' : 'rejected'}">${head}${profiles}</div>`;
    })
    .join('') || '<p>no decisions sampled yet</p>';
}

function render(snap) {
  const pool = snap.pools[0];
  if (!pool) return;
  $('pool').textContent = pool.name ? `${pool.namespace}/${pool.name}` : '(no pool yet)';
  $('total-picks').textContent = fmt(pool.picksPerSec, 1);
  $('prefix-hit').textContent = pool.prefixHitRate === null ? '–' : `${fmt(pool.prefixHitRate * 100, 0)}%`;
  endpointsTable(pool.endpoints);
  $('shed-total').textContent = countsTable('shed', pool.shed);
  $('rejected-total').textContent = countsTable('rejected', pool.rejected);
  decisionsView(pool.decisions);
  plot(pool.endpoints, snap.at);
  $('status').textContent = `live · ${new Date(snap.at).toLocaleTimeString()}`;
  document.body.dataset.snapshots = String(Number(document.body.dataset.snapshots || 0) + 1);
}

const events = new EventSource('/ui/events');
events.onmessage = (m) => render(JSON.parse(m.data));
events.onerror = () => {
  $('status').textContent = 'disconnected, retrying…';
};
