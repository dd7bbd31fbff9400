// honeygate dashboard: plain browser JavaScript, no framework, no external library.
// Every value shown comes from events an attacker shaped (paths, user agents, campaign names):
// it is written with textContent only, never parsed as HTML.
'use strict';

(function main() {
  const csrfMeta = document.querySelector('meta[name="honeygate-csrf"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute('content') || '' : '';
  const SVG = 'http://www.w3.org/2000/svg';
  const CLASSES = ['valid', 'lure', 'invalid', 'missing'];
  const COLORS = { valid: '#2e7d32', lure: '#d32f2f', invalid: '#f9a825', missing: '#8e8e93' };
  const MAX_FEED = 200;

  function $(id) {
    return document.getElementById(id);
  }

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const name of Object.keys(attrs)) node.setAttribute(name, String(attrs[name]));
    return node;
  }

  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
  }

  function setStatus(text) {
    $('status').textContent = text;
  }

  async function api(path, options) {
    const opts = Object.assign({ credentials: 'same-origin', headers: {} }, options || {});
    if (opts.method && opts.method !== 'GET') opts.headers['X-Honeygate-CSRF'] = csrf;
    const res = await fetch(path, opts);
    if (res.status === 401) {
      window.location.assign('/dashboard/login');
      throw new Error('signed out');
    }
    if (res.status === 204) return null;
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const message = body && body.error ? body.error.message + (body.error.issues ? ': ' + body.error.issues.map((i) => (i.path ? i.path + ' ' : '') + i.message).join('; ') : '') : 'HTTP ' + res.status;
      throw new Error(message);
    }
    return body;
  }

  function fillTable(id, rows, render) {
    const body = $(id).tBodies[0];
    body.replaceChildren();
    if (rows.length === 0) {
      const tr = el('tr');
      const td = el('td', 'nothing yet', 'muted');
      td.colSpan = $(id).tHead.rows[0].cells.length;
      tr.append(td);
      body.append(tr);
      return;
    }
    for (const row of rows) body.append(render(row));
  }

  function cells(values) {
    const tr = el('tr');
    for (const v of values) {
      if (v instanceof Node) {
        const td = el('td');
        td.append(v);
        tr.append(td);
      } else {
        tr.append(el('td', v, typeof v === 'number' ? 'num' : ''));
      }
    }
    return tr;
  }

  // chart: stacked bars per bucket, one colour per key class, drawn as inline SVG
  function drawChart(data) {
    const width = 960;
    const height = 240;
    const pad = { left: 40, right: 8, top: 8, bottom: 22 };
    const buckets = data.buckets;
    const totals = buckets.map((b) => CLASSES.reduce((sum, c) => sum + b[c], 0));
    const max = Math.max(1, ...totals);
    const plotW = width - pad.left - pad.right;
    const plotH = height - pad.top - pad.bottom;
    const step = plotW / Math.max(1, buckets.length);
    const root = svg('svg', { id: 'chart-svg', viewBox: '0 0 ' + width + ' ' + height, 'data-total': totals.reduce((a, b) => a + b, 0), 'data-buckets': buckets.length });
    root.append(svg('line', { class: 'axis', x1: pad.left, y1: pad.top + plotH, x2: width - pad.right, y2: pad.top + plotH }));
    for (const frac of [0, 0.5, 1]) {
      const y = pad.top + plotH - frac * plotH;
      const label = svg('text', { x: pad.left - 6, y: y + 3, 'text-anchor': 'end' });
      label.textContent = String(Math.round(max * frac));
      root.append(label);
    }
    buckets.forEach((b, i) => {
      let y = pad.top + plotH;
      const x = pad.left + i * step + step * 0.1;
      const w = Math.max(1, step * 0.8);
      for (const c of CLASSES) {
        const n = b[c];
        if (n <= 0) continue;
        const h = (n / max) * plotH;
        y -= h;
        const rect = svg('rect', { x: x.toFixed(2), y: y.toFixed(2), width: w.toFixed(2), height: h.toFixed(2), fill: COLORS[c], 'data-class': c, 'data-count': n, 'data-start': b.start });
        const title = svg('title', {});
        title.textContent = when(b.start) + ': ' + n + ' ' + c;
        rect.append(title);
        root.append(rect);
      }
    });
    const labels = Math.min(6, buckets.length);
    for (let k = 0; k < labels; k++) {
      const i = Math.floor((k * (buckets.length - 1)) / Math.max(1, labels - 1));
      const b = buckets[i];
      if (!b) continue;
      const t = svg('text', { x: pad.left + i * step + step / 2, y: height - 6, 'text-anchor': 'middle' });
      const d = new Date(b.start);
      t.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
      root.append(t);
    }
    $('chart').replaceChildren(root);
    const legend = $('legend');
    legend.replaceChildren();
    for (const c of CLASSES) {
      const sum = buckets.reduce((a, b) => a + b[c], 0);
      legend.append(el('li', c + ' ' + sum, c));
    }
  }

  async function loadChart() {
    const [since, bucket] = $('range').value.split('|');
    const data = await api('/api/v1/stats/timeline?since=' + encodeURIComponent(since) + '&bucket=' + encodeURIComponent(bucket));
    drawChart(data);
  }

  async function loadBlocks() {
    const data = await api('/api/v1/blocks');
    fillTable('blocks', data.blocks, (b) => {
      const button = el('button', 'Unblock', 'unblock');
      button.type = 'button';
      button.dataset.subject = b.subject;
      button.addEventListener('click', async () => {
        button.disabled = true;
        try {
          await api('/api/v1/blocks/' + encodeURIComponent(b.subject), { method: 'DELETE' });
        } catch (e) {
          setStatus('unblock failed: ' + e.message);
        }
        await loadBlocks();
      });
      const tr = cells([b.subject, when(b.until), b.reason, button]);
      tr.dataset.subject = b.subject;
      return tr;
    });
  }

  async function block(ip, duration, reason) {
    const body = { ip: ip, duration: duration };
    if (reason) body.reason = reason;
    await api('/api/v1/blocks', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await loadBlocks();
  }

  async function loadIps() {
    const data = await api('/api/v1/stats/ips?class=lure&since=24h&limit=10');
    fillTable('ips', data.ips, (r) => {
      const button = el('button', 'Block 24h', 'block-ip');
      button.type = 'button';
      button.addEventListener('click', () => block(r.ip, '24h', 'dashboard: lure key use').catch((e) => setStatus('block failed: ' + e.message)));
      return cells([r.ip, r.count, r.blocked, r.keys, when(r.last), button]);
    });
  }

  async function loadClients() {
    const data = await api('/api/v1/stats/clients?class=lure&since=24h&limit=10');
    fillTable('clients', data.clients, (r) => cells([r.name, r.version || '', r.count, r.ips]));
  }

  async function loadCampaigns() {
    const data = await api('/api/v1/campaigns');
    fillTable('campaigns', data.campaigns, (c) => {
      const placements = c.hits.placements.map((p) => (p.placement === null ? '(none)' : p.placement) + ' ×' + p.count).join(', ');
      return cells([c.campaign, c.hits.count, c.hits.ips, placements, c.keys.map((k) => k.name).join(', '), when(c.hits.last)]);
    });
  }

  function feedItem(e) {
    const li = el('li');
    li.dataset.id = e.event.id;
    const h = e.honeygate || {};
    const canary = e.event.dataset === 'honeygate.canary';
    const kind = canary ? 'canary' : h.verdict && h.verdict.action === 'block' ? 'block' : 'lure';
    li.append(el('span', when(e['@timestamp']), 'time'), el('span', kind, 'kind'));
    const ip = e.source ? e.source.ip : '?';
    const key = h.key || {};
    const parts = [ip];
    if (key.campaign) parts.push('campaign ' + key.campaign);
    if (key.placement) parts.push('placement ' + key.placement);
    if (canary && h.canary) parts.push(h.canary.kind + ' canary via ' + h.canary.via + ' (minted for ' + h.canary.minted_for_ip + ')');
    else {
      if (e.url) parts.push(e.url.path);
      if (h.model) parts.push(h.model);
      if (h.client) parts.push(h.client.name + (h.client.version ? ' ' + h.client.version : ''));
    }
    li.append(el('span', parts.join(' · ')));
    return li;
  }

  const shown = new Set();
  function addToFeed(e, atTop) {
    if (!e || !e.event || shown.has(e.event.id)) return;
    shown.add(e.event.id);
    const list = $('live');
    const li = feedItem(e);
    if (atTop) list.prepend(li);
    else list.append(li);
    while (list.children.length > MAX_FEED) list.lastElementChild.remove();
  }

  async function loadFeed() {
    const [lure, canary] = await Promise.all([api('/api/v1/events?class=lure&limit=30'), api('/api/v1/events?dataset=canary&limit=30')]);
    const events = lure.events.concat(canary.events).sort((a, b) => (a['@timestamp'] < b['@timestamp'] ? 1 : -1));
    for (const e of events.slice(0, 50)) addToFeed(e, false);
  }

  let refreshTimer = null;
  function refreshSoon() {
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      refresh();
    }, 1000);
  }

  function connectLive() {
    const source = new EventSource('/api/v1/live');
    source.addEventListener('open', () => {
      $('live-state').textContent = 'live';
    });
    source.addEventListener('error', () => {
      $('live-state').textContent = 'reconnecting…';
    });
    source.addEventListener('alert', (m) => {
      try {
        addToFeed(JSON.parse(m.data), true);
      } catch (e) {
        // a malformed frame is skipped
      }
      refreshSoon();
    });
  }

  async function refresh() {
    const results = await Promise.allSettled([loadChart(), loadBlocks(), loadIps(), loadClients(), loadCampaigns()]);
    const failed = results.filter((r) => r.status === 'rejected');
    setStatus(failed.length === 0 ? 'updated ' + new Date().toLocaleTimeString() : 'some panels failed: ' + failed[0].reason.message);
    document.body.dataset.ready = 'true';
  }

  $('range').addEventListener('change', () => loadChart().catch((e) => setStatus(e.message)));
  $('block-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const msg = $('block-message');
    block($('block-ip').value.trim(), $('block-duration').value.trim(), $('block-reason').value.trim()).then(
      () => {
        msg.textContent = 'blocked';
        $('block-ip').value = '';
      },
      (e) => {
        msg.textContent = e.message;
      },
    );
  });
  $('logout').addEventListener('click', async () => {
    await fetch('/dashboard/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-Honeygate-CSRF': csrf } }).catch(() => null);
    window.location.assign('/dashboard/login');
  });

  loadFeed().catch((e) => setStatus(e.message));
  connectLive();
  refresh();
  setInterval(refresh, 15000);
})();
