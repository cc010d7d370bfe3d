// The Substrate dashboard. Every string that comes from events reaches the page through
// textContent (never parsed as HTML), and ECharts draws on canvas with rich-text tooltips, so an
// event field such as "<script>alert(1)</script>" shows as text.
'use strict';

(function () {
  const LIST_LIMIT = 100;
  const state = new Map(); // panel -> Map(key -> value), newest last
  const dirty = new Set();
  const charts = {};

  function panel(name) {
    let values = state.get(name);
    if (!values) {
      values = new Map();
      state.set(name, values);
    }
    return values;
  }

  function apply(update) {
    const values = panel(update.panel);
    values.delete(update.key); // a newer value (a late revision) replaces the older one
    values.set(update.key, update.value);
    dirty.add(update.panel);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function time(ms) {
    return ms === undefined || ms === null ? '' : new Date(ms).toISOString().replace('.000Z', 'Z');
  }

  function showDetails(title, value) {
    document.getElementById('details').textContent = title + '\n' + JSON.stringify(value, null, 2);
  }

  // ---- live updates -------------------------------------------------------------------------

  const status = document.getElementById('status');
  const lastEvent = document.getElementById('last-event');
  const events = new EventSource('/events');
  events.addEventListener('open', function () {
    status.textContent = 'live';
    status.className = 'status live';
  });
  events.addEventListener('error', function () {
    status.textContent = 'reconnecting…';
    status.className = 'status';
  });
  events.addEventListener('snapshot', function (event) {
    const snapshot = JSON.parse(event.data);
    state.forEach(function (values, name) { values.clear(); dirty.add(name); });
    snapshot.updates.forEach(apply);
    lastEvent.textContent = 'event ' + event.lastEventId;
  });
  events.addEventListener('message', function (event) {
    apply(JSON.parse(event.data));
    lastEvent.textContent = 'event ' + event.lastEventId;
  });

  // ---- charts -------------------------------------------------------------------------------

  function chart(id) {
    if (!charts[id]) {
      charts[id] = echarts.init(document.getElementById(id), 'dark', { renderer: 'canvas' });
      charts[id].on('click', function (params) {
        const target = params.data && params.data.target;
        if (target) showDetails(target.title, target.row);
      });
    }
    return charts[id];
  }

  function base() {
    return {
      backgroundColor: 'transparent',
      animation: false,
      tooltip: { trigger: 'item', renderMode: 'richText' },
      grid: { left: 50, right: 16, top: 56, bottom: 28 },
      legend: { top: 0, textStyle: { fontSize: 11 } },
    };
  }

  function windowSeries(field, scale) {
    const byCluster = new Map();
    panel('cluster-windows').forEach(function (row, key) {
      const value = row[field];
      if (value === null || value === undefined) return;
      if (!byCluster.has(row.cluster)) byCluster.set(row.cluster, []);
      byCluster.get(row.cluster).push({
        value: [row.window_start, scale(value, row)],
        target: { title: 'gpu_metrics_1m row ' + key, row: row },
      });
    });
    let points = 0;
    const series = [];
    byCluster.forEach(function (data, cluster) {
      data.sort(function (a, b) { return a.value[0] - b.value[0]; });
      points += data.length;
      series.push({ name: cluster, type: 'line', showSymbol: true, symbolSize: 5, data: data });
    });
    return { series: series, points: points };
  }

  function renderWindowChart(id, field, scale) {
    const built = windowSeries(field, scale);
    const option = base();
    option.xAxis = { type: 'time' };
    option.yAxis = { type: 'value', scale: true };
    option.series = built.series;
    chart(id).setOption(option, true);
    document.getElementById(id).dataset.points = String(built.points);
  }

  function same(value) { return value; }
  function kwh(value) { return value / 3.6e6; }

  const THROTTLE = ['sw_power_cap_fraction', 'hw_slowdown_fraction', 'sw_thermal_slowdown_fraction',
    'hw_thermal_slowdown_fraction', 'hw_power_brake_slowdown_fraction', 'gpu_idle_fraction'];

  function renderThrottle() {
    const latest = new Map();
    panel('cluster-windows').forEach(function (row) {
      const seen = latest.get(row.cluster);
      if (!seen || seen.window_start < row.window_start) latest.set(row.cluster, row);
    });
    const clusters = Array.from(latest.keys()).sort();
    const option = base();
    option.xAxis = { type: 'category', data: clusters };
    option.yAxis = { type: 'value', max: 1 };
    option.series = THROTTLE.map(function (field) {
      return {
        name: field.replace('_fraction', ''), type: 'bar', stack: 'throttle',
        data: clusters.map(function (c) {
          const row = latest.get(c);
          return { value: row[field], target: { title: 'latest window of ' + c, row: row } };
        }),
      };
    });
    chart('chart-throttle').setOption(option, true);
    document.getElementById('chart-throttle').dataset.points = String(clusters.length);
  }

  const STATUSES = ['UP', 'WATCH', 'DEGRADED', 'DRAIN', 'DOWN'];

  function renderHealth() {
    const rows = Array.from(panel('capacity').values());
    rows.sort(function (a, b) { return a.cluster < b.cluster ? -1 : 1; });
    const option = base();
    option.xAxis = { type: 'category', data: rows.map(function (r) { return r.cluster; }) };
    option.yAxis = { type: 'value', minInterval: 1 };
    option.series = STATUSES.map(function (s) {
      return {
        name: s, type: 'bar', stack: 'nodes',
        data: rows.map(function (r) {
          return { value: (r.nodes_by_status || {})[s] || 0,
            target: { title: 'cluster_capacity ' + r.cluster, row: r } };
        }),
      };
    });
    chart('chart-health').setOption(option, true);
    document.getElementById('chart-health').dataset.points = String(rows.length);
  }

  function renderCounts(panelName, id, field) {
    const rows = Array.from(panel(panelName).values());
    rows.sort(function (a, b) { return b.count - a.count; });
    const option = base();
    option.grid = { left: 200, right: 16, top: 8, bottom: 24 };
    option.legend = undefined;
    option.xAxis = { type: 'value', minInterval: 1 };
    option.yAxis = { type: 'category', inverse: true, data: rows.map(function (r) { return r[field]; }) };
    option.series = [{ type: 'bar', data: rows.map(function (r) {
      return { value: r.count, target: { title: field + ' ' + r[field], row: r } };
    }) }];
    chart(id).setOption(option, true);
    document.getElementById(id).dataset.points = String(rows.length);
  }

  // ---- lists --------------------------------------------------------------------------------

  function renderList(id, panelName, line, title) {
    const list = document.getElementById(id);
    const values = Array.from(panel(panelName).entries()).reverse().slice(0, LIST_LIMIT);
    list.replaceChildren();
    values.forEach(function (entry) {
      const key = entry[0];
      const value = entry[1];
      const item = el('li');
      line(value).forEach(function (part) { item.appendChild(part); });
      item.addEventListener('click', function () { showDetails(title + ' ' + key, value); });
      list.appendChild(item);
    });
    list.dataset.items = String(values.length);
  }

  function nodeHealthLine(change) {
    return [
      el('span', 'tag ' + change.status, change.status),
      el('span', null, time(change.changed_at) + ' ' + change.cluster + '/' + change.node +
        ' score ' + change.score + (change.reasons && change.reasons.length ? ': ' + change.reasons.join('; ') : '')),
    ];
  }

  function anomalyLine(a) {
    return [
      el('span', 'tag', a.metric),
      el('span', null, time(a.timestamp) + ' ' + a.cluster + '/' + a.node + ' GPU ' + a.gpu_index +
        ' value ' + Number(a.value).toFixed(1) + ' (baseline ' + Number(a.baseline_mean).toFixed(1) +
        ', z ' + Number(a.z_score).toFixed(1) + ')'),
    ];
  }

  function deadLetterLine(d) {
    return [
      el('span', 'tag', d.reason),
      el('span', null, d.source_topic + '-' + d.source_partition + '@' + d.source_offset +
        (d.rule ? ' rule ' + d.rule : '') + ': ' + d.message),
    ];
  }

  function decisionLine(d) {
    const where = d.node ? ' on ' + d.cluster + '/' + d.node : '';
    return [
      el('span', 'tag', d.action),
      el('span', null, time(d.decided_at) + ' ' + d.tenant + ' ' + d.request_id + ' (' + d.gpus +
        ' × ' + d.accelerator_type + ')' + where + ': ' + d.reason),
    ];
  }

  function violationLine(v) {
    const suppressed = v.suppressed_count ? ' (' + v.suppressed_count + ' repeats suppressed)' : '';
    return [
      el('span', 'tag ' + v.severity, v.severity),
      el('span', null, time(v.last_event_at) + ' ' + v.policy_id + ' ' + v.key_kind + ' ' + v.key +
        ': ' + v.narrative + suppressed),
      el('span', 'evidence', 'evidence: ' + (v.evidence || []).join(', ')),
    ];
  }

  function renderDecisionTimeline() {
    const byAction = new Map();
    panel('decision-timeline').forEach(function (row, key) {
      if (!byAction.has(row.action)) byAction.set(row.action, []);
      byAction.get(row.action).push({
        value: [row.minute, row.count],
        target: { title: 'decisions ' + key, row: row },
      });
    });
    let points = 0;
    const series = [];
    Array.from(byAction.keys()).sort().forEach(function (action) {
      const data = byAction.get(action);
      data.sort(function (a, b) { return a.value[0] - b.value[0]; });
      points += data.length;
      series.push({ name: action, type: 'bar', stack: 'actions', data: data });
    });
    const option = base();
    option.grid = { left: 40, right: 16, top: 40, bottom: 24 };
    option.xAxis = { type: 'time' };
    option.yAxis = { type: 'value', minInterval: 1 };
    option.series = series;
    chart('chart-decisions').setOption(option, true);
    document.getElementById('chart-decisions').dataset.points = String(points);
  }

  function renderTenants() {
    const rows = Array.from(panel('tenants').values());
    rows.sort(function (a, b) { return b.gpu_hours - a.gpu_hours; });
    const body = document.querySelector('#table-tenants tbody');
    body.replaceChildren();
    let asOf = 0;
    rows.forEach(function (row) {
      const tr = el('tr');
      tr.appendChild(el('td', null, row.tenant));
      tr.appendChild(el('td', 'n', row.gpus_held));
      tr.appendChild(el('td', 'n', Number(row.gpu_hours).toFixed(2)));
      tr.appendChild(el('td', 'n', Number(row.energy_kwh).toFixed(3)));
      tr.addEventListener('click', function () { showDetails('tenant ' + row.tenant, row); });
      body.appendChild(tr);
      asOf = Math.max(asOf, row.as_of);
    });
    document.getElementById('table-tenants').dataset.rows = String(rows.length);
    if (rows.length) {
      document.getElementById('tenants-as-of').textContent = 'as of ' + time(asOf) + ' (event time)';
    }
  }

  // ---- pipeline -----------------------------------------------------------------------------

  function renderPipeline() {
    const body = document.querySelector('#table-pipeline tbody');
    body.replaceChildren();
    panel('pipeline').forEach(function (row) {
      const tr = el('tr');
      tr.appendChild(el('td', null, row.stage));
      tr.appendChild(el('td', 'n', Number(row.records_in).toLocaleString()));
      tr.appendChild(el('td', 'n', Number(row.records_out).toLocaleString()));
      body.appendChild(tr);
    });
  }

  function renderCheckpoints() {
    const lines = [];
    panel('checkpoints').forEach(function (c) {
      lines.push(c.job + ': ' + (c.duration_s === null || c.duration_s === undefined
        ? 'no checkpoint completed yet'
        : 'last checkpoint took ' + c.duration_s.toFixed(2) + ' s, ' + c.age_s.toFixed(0) + ' s ago'));
    });
    if (lines.length) document.getElementById('checkpoints').textContent = lines.join(' · ');
  }

  const RENDERERS = {
    'cluster-windows': function () {
      renderWindowChart('chart-util', 'utilization_pct_mean', same);
      renderWindowChart('chart-power', 'power_draw_w_mean', same);
      renderWindowChart('chart-temp', 'temperature_c_mean', same);
      renderWindowChart('chart-energy', 'energy_joules', kwh);
      renderThrottle();
    },
    'capacity': renderHealth,
    'node-health': function () { renderList('list-node-health', 'node-health', nodeHealthLine, 'node_health'); },
    'gpu-anomalies': function () { renderList('list-anomalies', 'gpu-anomalies', anomalyLine, 'gpu_anomalies'); },
    'dead-letters': function () { renderList('list-dead-letters', 'dead-letters', deadLetterLine, 'dead_letters'); },
    'dead-letter-reasons': function () { renderCounts('dead-letter-reasons', 'chart-dead-letter-reasons', 'reason'); },
    'dead-letter-rules': function () { renderCounts('dead-letter-rules', 'chart-dead-letter-rules', 'rule'); },
    'decisions': function () { renderList('list-decisions', 'decisions', decisionLine, 'scheduling_decisions'); },
    'decision-timeline': renderDecisionTimeline,
    'violations': function () { renderList('list-violations', 'violations', violationLine, 'policy_violations'); },
    'violation-severities': function () { renderCounts('violation-severities', 'chart-violation-severities', 'severity'); },
    'tenants': renderTenants,
    'pipeline': renderPipeline,
    'checkpoints': renderCheckpoints,
  };

  setInterval(function () {
    dirty.forEach(function (name) {
      const render = RENDERERS[name];
      if (render) render();
    });
    dirty.clear();
  }, 500);

  window.addEventListener('resize', function () {
    Object.keys(charts).forEach(function (id) { charts[id].resize(); });
  });

  // ---- search -------------------------------------------------------------------------------

  const form = document.getElementById('search-form');
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    const q = document.getElementById('search-q').value;
    const info = document.getElementById('search-info');
    const results = document.getElementById('search-results');
    results.replaceChildren();
    info.textContent = 'searching…';
    fetch('/api/search?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (answer.error) {
          info.textContent = answer.error;
          return;
        }
        info.textContent = answer.hits.length + ' hits of ' + answer.documents + ' documents, ' +
          answer.complete_up_to_text + ' (' + answer.mode + ', ' + answer.took_ms + ' ms)';
        answer.hits.forEach(function (hit) {
          const item = el('li');
          item.appendChild(el('span', 'tag', hit.kind));
          item.appendChild(el('span', null, time(Date.parse(hit.time)) + ' ' + hit.text +
            ' → ' + hit.lineage.table + ' where ' + hit.lineage.row));
          item.addEventListener('click', function () { showDetails('search hit ' + hit.id, hit); });
          results.appendChild(item);
        });
      })
      .catch(function (error) { info.textContent = 'Search failed: ' + error; });
  });
})();
