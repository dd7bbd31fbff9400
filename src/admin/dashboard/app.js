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

  function link(href, text) {
    const a = el('a', text);
    a.href = href;
    return a;
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
        // a cell holding a button never wraps (it would break the label letter by letter)
        const td = el('td', undefined, v instanceof HTMLButtonElement ? 'actions' : '');
        td.append(v);
        tr.append(td);
      } else {
        tr.append(el('td', v, typeof v === 'number' ? 'num' : ''));
      }
    }
    return tr;
  }

  let lastChart = null;
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    if (resizeTimer !== null) clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      resizeTimer = null;
      if (lastChart !== null && !$('overview').hidden) drawChart(lastChart);
    }, 100);
  });

  // chart: stacked bars per bucket, one colour per key class, drawn as inline SVG
  function drawChart(data) {
    // drawn at the container's own width, so text keeps its size at 1280 px and at 1920 px
    const width = Math.max(480, Math.round($('chart').clientWidth || 960));
    const height = 240;
    lastChart = data;
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
      // the first and last labels are anchored inside the plot, so neither is cut at the edge
      const anchor = k === 0 ? 'start' : k === labels - 1 ? 'end' : 'middle';
      const x = k === 0 ? pad.left : k === labels - 1 ? width - pad.right : pad.left + i * step + step / 2;
      const t = svg('text', { x: x, y: height - 6, 'text-anchor': anchor });
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
      return cells([link('#/attacker?ip=' + encodeURIComponent(r.ip), r.ip), r.count, r.blocked, r.keys, when(r.last), button]);
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
      const name = c.campaign === '(none)' ? c.campaign : link('#/campaign/' + encodeURIComponent(c.campaign), c.campaign);
      return cells([name, c.hits.count, c.hits.ips, placements, c.keys.map((k) => k.name).join(', '), when(c.hits.last)]);
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


  // ---- investigation views: #/search, #/attacker?ip=…|fingerprint=…, #/campaign/NAME ----

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return '';
    const s = Math.abs(seconds);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    const text = d > 0 ? d + 'd ' + h + 'h' : h > 0 ? h + 'h ' + m + 'm' : m > 0 ? m + 'm ' + (s % 60) + 's' : s + 's';
    return (seconds < 0 ? '−' : '') + text;
  }

  function facts(id, pairs) {
    const dl = $(id);
    dl.replaceChildren();
    for (const [name, value] of pairs) {
      const wrap = el('div');
      wrap.append(el('dt', name));
      const dd = el('dd');
      if (value instanceof Node) dd.append(value);
      else dd.textContent = value === null || value === undefined || value === '' ? '–' : String(value);
      wrap.append(dd);
      dl.append(wrap);
    }
  }

  const search = { cursors: [], next: null, params: '' };

  function searchParams() {
    const p = new URLSearchParams();
    const fields = { since: 'f-since', until: 'f-until', class: 'f-class', campaign: 'f-campaign', model: 'f-model', text: 'f-text' };
    for (const name of Object.keys(fields)) {
      const v = $(fields[name]).value.trim();
      if (v) p.set(name, v);
    }
    const cidr = $('f-cidr').value.trim();
    if (cidr) p.set(cidr.includes('/') ? 'cidr' : 'ip', cidr);
    p.set('limit', '50');
    return p;
  }

  async function runSearch(cursor) {
    const p = new URLSearchParams(search.params);
    if (cursor) p.set('cursor', cursor);
    const msg = $('search-message');
    msg.textContent = 'searching…';
    const t0 = performance.now();
    let data;
    try {
      data = await api('/api/v1/search?' + p.toString());
    } catch (e) {
      msg.textContent = e.message;
      return;
    }
    msg.textContent = data.count + ' event(s) on this page · ' + Math.round(performance.now() - t0) + ' ms';
    search.next = data.next;
    fillTable('results', data.events, (e) => {
      const h = e.honeygate || {};
      const key = h.key || {};
      const ip = e.source ? e.source.ip : '';
      const prompt = h.lure && h.lure.prompt ? h.lure.prompt : '';
      return cells([
        when(e['@timestamp']),
        ip ? link('#/attacker?ip=' + encodeURIComponent(ip), ip) : '',
        key.class || e.event.dataset.replace('honeygate.', ''),
        key.campaign ? link('#/campaign/' + encodeURIComponent(key.campaign), key.campaign) : '',
        h.model || '',
        h.verdict ? h.verdict.action + '/' + h.verdict.reason : e.event.action,
        e.http ? e.http.response.status_code : '',
        prompt.length > 160 ? prompt.slice(0, 159) + '…' : prompt,
      ]);
    });
    $('page-older').disabled = !search.next;
    $('page-newer').disabled = search.cursors.length === 0;
    $('page-info').textContent = 'page ' + (search.cursors.length + 1);
  }

  function startSearch() {
    search.params = searchParams().toString();
    search.cursors = [];
    return runSearch(null);
  }

  async function showAttacker(params) {
    const p = new URLSearchParams();
    const ip = params.get('ip');
    const fingerprint = params.get('fingerprint');
    const client = params.get('client');
    if (ip) p.set('ip', ip);
    else if (client) p.set('client', client);
    else if (fingerprint) p.set('fingerprint', fingerprint);
    $('attacker-title').textContent = ip ? 'Attacker ' + ip : client ? 'Client ' + client : 'Lure key ' + (fingerprint || '');
    const data = await api('/api/v1/attacker?' + p.toString());
    const actions = $('attacker-block');
    actions.replaceChildren();
    if (ip) {
      const b = data.blocks[0];
      if (b) {
        actions.append(el('span', 'blocked until ' + when(b.until) + ' ', 'badge'));
        const un = el('button', 'Unblock', 'unblock');
        un.type = 'button';
        un.id = 'attacker-unblock';
        un.addEventListener('click', async () => {
          un.disabled = true;
          await api('/api/v1/blocks/' + encodeURIComponent(b.subject), { method: 'DELETE' }).catch((e) => setStatus('unblock failed: ' + e.message));
          await showAttacker(params);
        });
        actions.append(un);
      } else {
        const form = el('form', undefined, 'inline');
        form.id = 'attacker-block-form';
        const label = el('label', 'Block for ');
        const input = el('input');
        input.id = 'attacker-block-duration';
        input.value = '24h';
        input.size = 6;
        input.maxLength = 16;
        input.required = true;
        label.append(input);
        const submit = el('button', 'Block');
        submit.type = 'submit';
        form.append(label, submit);
        form.addEventListener('submit', async (ev) => {
          ev.preventDefault();
          submit.disabled = true;
          await block(ip, input.value.trim(), 'dashboard: attacker page').catch((e) => setStatus('block failed: ' + e.message));
          await showAttacker(params);
        });
        actions.append(form);
      }
    }
    facts('attacker-facts', [
      ['first seen', when(data.first)],
      ['last seen', when(data.last)],
      ['events', data.events],
      ['lure requests', data.lure_requests],
      ['blocked requests', data.blocked_requests],
      ['addresses', data.ips.length > 10 ? data.ips.length + ' (listed below)' : data.ips.map((i) => i.value).join(', ')],
      ['campaigns', data.campaigns.map((c) => c.value + ' ×' + c.count).join(', ')],
      ['placements', data.placements.map((c) => c.value + ' ×' + c.count).join(', ')],
      ['models', data.models.map((c) => c.value + ' ×' + c.count).join(', ')],
    ]);
    const prompts = $('attacker-prompts');
    prompts.replaceChildren();
    if (data.prompts.length === 0) prompts.append(el('li', 'no prompts recorded', 'muted'));
    for (const pr of data.prompts) {
      const li = el('li');
      li.append(el('span', when(pr.time) + (pr.model ? ' · ' + pr.model : '') + (pr.ip && !ip ? ' · ' + pr.ip : ''), 'time'));
      li.append(el('pre', pr.text));
      prompts.append(li);
    }
    const tools = $('attacker-tools');
    tools.replaceChildren();
    if (data.tools.length === 0) tools.append(el('li', 'no tool definitions recorded', 'muted'));
    for (const t of data.tools) {
      const li = el('li');
      li.append(el('span', t.name + (t.type ? ' (' + t.type + ')' : '') + ' · ×' + t.count + ' · last ' + when(t.last), 'time'));
      if (t.description) li.append(el('p', t.description));
      if (t.parameters) li.append(el('pre', t.parameters));
      tools.append(li);
    }
    fillTable('attacker-client-ids', data.client_ids, (c) => cells([link('#/attacker?client=' + encodeURIComponent(c.value), c.value), c.count]));
    fillTable('attacker-addresses', data.ips, (a) => cells([link('#/attacker?ip=' + encodeURIComponent(a.value), a.value), a.count, a.lure === undefined ? '' : a.lure, a.blocked === undefined ? '' : a.blocked, when(a.first), when(a.last)]));
    const canaries = data.canaries.used.map((c) => ({ token: c.token, kind: c.kind, from: c.used_from, for: c.minted_for_ip, at: c.at }));
    for (const m of data.canaries.minted) if (!canaries.some((c) => c.token === m.token)) canaries.push({ token: m.token, kind: 'minted, not used', from: '', for: m.ip, at: m.at });
    fillTable('attacker-canaries', canaries, (c) => cells([c.token.length > 14 ? c.token.slice(0, 13) + '…' : c.token, c.kind, c.from ? link('#/attacker?ip=' + encodeURIComponent(c.from), c.from) : '', c.for || '', when(c.at)]));
    fillTable('attacker-keys', data.keys, (k) => cells([
      link('#/attacker?fingerprint=' + encodeURIComponent(k.fingerprint), k.name || k.fingerprint),
      k.campaign ? link('#/campaign/' + encodeURIComponent(k.campaign), k.campaign) : '',
      k.placement || '',
      k.requests,
    ]));
    fillTable('attacker-clients', data.clients.concat(data.user_agents.map((u) => ({ value: 'UA: ' + u.value, count: u.count }))), (c) => cells([c.value, c.count]));
    fillTable('attacker-timeline', data.timeline, (r) => cells([
      when(r.time),
      r.ip ? link('#/attacker?ip=' + encodeURIComponent(r.ip), r.ip) : '',
      r.surface || r.dataset,
      r.model || '',
      r.verdict,
      r.status === null ? '' : r.status,
      (r.bytes_in || 0) + ' / ' + (r.bytes_out || 0),
      r.path || '',
    ]));
  }

  async function showCampaign(name) {
    $('campaign-title').textContent = 'Campaign ' + name;
    const data = await api('/api/v1/campaigns/' + encodeURIComponent(name));
    fillTable('campaign-leaks', data.leaks, (l) => cells([
      link('#/attacker?fingerprint=' + encodeURIComponent(l.fingerprint), l.key),
      l.placement || '',
      when(l.planted),
      l.first_use ? when(l.first_use) : 'not used yet',
      duration(l.time_to_first_use_s),
      l.first_use_ip ? link('#/attacker?ip=' + encodeURIComponent(l.first_use_ip), l.first_use_ip) : '',
    ]));
    fillTable('campaign-attackers', data.attackers, (a) => cells([
      link('#/attacker?ip=' + encodeURIComponent(a.ip), a.ip),
      a.requests,
      a.placements.join(', '),
      a.clients.join(', '),
      when(a.first),
      when(a.last),
      a.blocked ? 'yes' : 'no',
    ]));
  }

  function showView(id) {
    for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== id;
    $('overview').hidden = id !== 'overview';
    for (const a of document.querySelectorAll('nav a')) a.removeAttribute('aria-current');
    const nav = id === 'overview' ? 'nav-overview' : id === 'search-view' ? 'nav-search' : null;
    if (nav) $(nav).setAttribute('aria-current', 'page');
  }

  async function route() {
    const hash = window.location.hash || '#/';
    const [path, queryText] = hash.slice(1).split('?');
    const params = new URLSearchParams(queryText || '');
    document.body.dataset.view = 'loading';
    try {
      if (path === '/search') {
        showView('search-view');
        if (search.params === '') await startSearch();
      } else if (path === '/attacker') {
        showView('attacker-view');
        await showAttacker(params);
      } else if (path.startsWith('/campaign/')) {
        showView('campaign-view');
        await showCampaign(decodeURIComponent(path.slice('/campaign/'.length)));
      } else {
        showView('overview');
      }
      document.body.dataset.view = path === '/' || path === '' ? 'overview' : path.split('/')[1];
    } catch (e) {
      setStatus(e.message);
      document.body.dataset.view = 'error';
    }
  }

  $('search-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    startSearch();
  });
  $('search-form').addEventListener('reset', () => {
    setTimeout(() => startSearch(), 0);
  });
  $('page-older').addEventListener('click', () => {
    if (!search.next) return;
    search.cursors.push(search.next);
    runSearch(search.next);
  });
  $('page-newer').addEventListener('click', () => {
    search.cursors.pop();
    runSearch(search.cursors.length > 0 ? search.cursors[search.cursors.length - 1] : null);
  });
  window.addEventListener('hashchange', route);

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
  route();
  setInterval(refresh, 15000);
})();
