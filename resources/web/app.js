// The web console's page logic: logs in (a one-time #token= fragment or the form), follows the
// live snapshot over the WebSocket /api/v1/live (reconnecting with backoff), draws the nine pages
// from it and from /api/v1/series, and runs operator actions with the CSRF header: the toolbar,
// the confirmations and the parameter prompts come from the server's action catalogue
// (/api/v1/actions). Server data only ever reaches the page as textContent or attribute values,
// never as markup.
'use strict';

(function () {
  const PAGES = ['overview', 'lag', 'watermarks', 'checkpoints', 'backpressure', 'sinks', 'windows', 'alerts', 'audit', 'deadletters', 'kafka'];
  const HISTORY_MS = 15 * 60 * 1000;

  const state = {
    session: null, // { user, role, csrf }
    snapshot: null, // the raw snapshot
    vm: null, // the normalised view of it
    snapshotAt: 0,
    page: 'overview',
    ws: null,
    wsAttempt: 0,
    wsTimer: null,
    pollTimer: null, // snapshot polling while the live feed is down
    series: null, // the last /api/v1/series answer, normalised: key -> points
    seriesFetchedAt: 0,
    history: new Map(), // client-side series from snapshots: key -> [[t, v], ...]
    windowCounts: new Map(), // window start -> Map(key -> value), newest likes_per_post windows
    // The post this page watches (#windows/post/ID), its windows from the server, when fetched.
    // No post: the page follows the leading post, as the console's snapshot does.
    watch: { post: null, points: [], fetchedAt: 0 },
    charts: {},
    runbookId: null,
    audit: [],
    // GET /api/v1/dead-letters for the Dead letters page; the picked letter's sequence; hex or text.
    deadLetters: null,
    restorePoints: [], // GET /api/v1/restore-points, for the Checkpoints page
    kafka: null, // GET /api/v1/kafka, for the Kafka page
    deadLetterPicked: null,
    deadLetterHex: false,
    pending: new Map(), // action id -> action name
    catalogue: [], // GET /api/v1/actions: every action in menu order (label, confirmation, parameters, ...)
    planRequests: 0, // the confirmation dialog's dry-run requests so far (the newest one's answer is shown)
  };

  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------------------------------
  // Formatting (as the desktop console formats)

  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const MIN_WATERMARK = -9e15;
  const MAX_WATERMARK = 9e15;

  function num(v) {
    const n = Number(v);
    return isFinite(n) ? n : 0;
  }
  function formatCount(n) {
    return numberFormat.format(Math.round(num(n)));
  }
  function formatRate(n) {
    return formatCount(n) + '/s';
  }
  function formatPercent(share) {
    return Math.round(num(share) * 100) + ' %';
  }
  function pad(n, w) {
    return String(n).padStart(w || 2, '0');
  }
  function formatEventTime(ms) {
    if (ms == null) return '-';
    const n = Number(ms);
    if (n >= MAX_WATERMARK) return 'end of input';
    if (!(n > 0) || n <= MIN_WATERMARK) return '-';
    const d = new Date(n);
    return d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + ' UTC';
  }
  function formatClock(ms, millis) {
    if (!(Number(ms) > 0)) return '-';
    const d = new Date(Number(ms));
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + (millis ? '.' + pad(d.getMilliseconds(), 3) : '');
  }
  function formatUtcClock(ms) {
    const d = new Date(Number(ms));
    return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }
  function formatCapacity(c) {
    if (!c) return 'measuring (needs more input)';
    const limit = c.limitedBy === 'cpu' ? 'the CPU cores' : c.limitedBy;
    if (c.headroom == null) return 'about ' + formatCount(c.sustainableRecordsPerSecond) + ' records/s, limited by ' + limit;
    return 'about ' + formatCount(c.sustainableRecordsPerSecond) + ' records/s (' + num(c.headroom).toFixed(1) + ' times the input), limited by ' + limit;
  }

  function formatBurst(b) {
    if (!(num(b.peakLagRecords) > 0)) return 'keeps up';
    if (b.clearSeconds == null) return 'lag peaks at ' + formatCount(b.peakLagRecords) + ' records and is never cleared at the current input';
    return 'lag peaks at ' + formatCount(b.peakLagRecords) + ' records, cleared ' + formatDuration(b.clearSeconds) + ' after the burst';
  }

  function formatDuration(seconds) {
    const s = num(seconds);
    if (s < 1) return Math.round(s * 1000) + ' ms';
    if (s < 60) return oneDecimal.format(s) + ' s';
    return Math.floor(s / 60) + ' min ' + (Math.floor(s) % 60) + ' s';
  }
  // "2026-12-06 20:41:03 UTC (6.2 s behind)"; the server's Freshness (freshnessJson)
  function formatFreshness(f) {
    if (f.complete) return 'every window (input ended)';
    if (f.upToDateMs == null) return 'nothing stored yet';
    return formatEventTime(f.upToDateMs) + ' (' + formatDuration(f.ageSeconds) + ' behind)';
  }
  function formatFreshnessParts(f) {
    if (f.ageSeconds == null) return '-';
    return 'Kafka lag ' + formatDuration(f.kafkaLagSeconds) + ' + watermark ' + formatDuration(f.watermarkSeconds) +
      ' + firing ' + formatDuration(f.firingSeconds) + ' + sink ' + formatDuration(f.sinkSeconds);
  }
  function formatTimeToCatchUp(seconds) {
    if (seconds == null) return 'not catching up';
    return seconds <= 0 ? 'keeping up' : formatDuration(seconds);
  }
  function formatBytes(n) {
    const b = num(n);
    if (b < 1024) return b + ' bytes';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let v = b / 1024;
    let u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return v.toFixed(2) + ' ' + units[u];
  }
  function formatTimestamp(value) {
    // Audit and alert times come as ms or as ISO text.
    if (value == null || value === '') return '';
    if (typeof value === 'number') {
      const d = new Date(value);
      return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + formatClock(value);
    }
    const d = new Date(value);
    return isNaN(d.getTime()) ? String(value) : formatTimestamp(d.getTime());
  }
  // The sink's circuit state as the engine names it ("closed", "open", ...), as the server sends it.
  function circuitName(c) {
    return c ? String(c) : 'closed';
  }
  // ... and what it means: "closed" reads like "down" to a newcomer, so it says "writing".
  function circuitText(c) {
    const name = circuitName(c);
    const meaning = {closed: 'writing', open: 'paused after errors, retrying', half_open: 'trying one write'}[name];
    return meaning ? name + ' (' + meaning + ')' : name;
  }

  // ------------------------------------------------------------------------------------------
  // The snapshot (resources/web/openapi.yaml, schema Snapshot) as the pages use it. The server's
  // field names are read here and nowhere else.

  function normalise(s) {
    const job = s.job || {};
    const sink = s.sink || {};
    const alerts = s.alerts || {};
    const rates = s.rates || {};
    const watermark = (o) => (o.watermarkFinal ? MAX_WATERMARK : o.watermarkMs); // null: none yet
    const vm = {
      t: num(s.takenAtMs) || Date.now(),
      kafka: !!s.kafka,
      source: job.source || '',
      sinkDescription: job.sinkDescription || '',
      state: job.state || 'unknown',
      parallelism: job.parallelism,
      watermarkMs: watermark(job),
      restoring: job.restoring || null, // { from, tasksDone, tasks, forMs } while the tasks load a restored state
      skewMs: num(job.watermarkSkewMs),
      freshness: s.freshness || {},
      capacity: s.capacity || null, // { sustainableRecordsPerSecond, headroom, limitedBy, burst: {...} } once there was input
      boundMs: job.watermarkBoundMs,
      lateEvents: num(job.lateEvents),
      droppedEvents: num(job.droppedEvents),
      eventsPerSecond: num(rates.eventsPerSecond),
      rowsPerSecond: num(rates.rowsPerSecond),
      recordsPerSecond: num(rates.recordsPerSecond),
      deadLettersPerSecond: num(rates.deadLettersPerSecond),
      droppedPerSecond: num(rates.droppedPerSecond),
      lagSeconds: num(s.lagSeconds),
      timeToCatchUpSeconds: s.timeToCatchUpSeconds == null ? null : num(s.timeToCatchUpSeconds), // null: not catching up
      laggingPartition: s.laggingPartition ?? null,
      hottestPartition: s.hottestPartition || null, // { partition, share }
      partitions: (s.partitions || []).map((p) => ({
        partition: num(p.partition),
        records: num(p.records),
        recordsPerSecond: num(p.recordsPerSecond),
        watermarkMs: watermark(p),
        idle: !!p.idle,
        lagRecords: p.lagRecords, // null without Kafka
        lagSeconds: p.lagSeconds,
        lagStatus: p.lagStatus, // Burrow's OK, WARN, STALL, STOP, ERR; null without Kafka
      })),
      operators: (s.operators || []).map((o) => ({ name: String(o.name || ''), kind: String(o.kind || ''), busy: num(o.busy), idle: num(o.idle), backpressured: num(o.backpressured), recordsIn: num(o.recordsInPerSecond), recordsOut: num(o.recordsOutPerSecond) })),
      sink: {
        present: !!sink.present,
        name: sink.name || '',
        circuit: sink.circuit, // the engine's name of the state
        held: !!sink.held,
        pendingRows: num(sink.pendingRows),
        divertedRows: num(sink.divertedRows),
        rowsPerSecond: num(sink.rowsPerSecond),
        retries: num(sink.retries),
        transientErrors: num(sink.transientErrors),
        rejectedRows: num(sink.rejectedRows),
        committedEpoch: num(sink.committedEpoch),
        lastWindowEndMs: sink.lastWindowEndMs,
        p50Ms: num(sink.p50Ms),
        p99Ms: num(sink.p99Ms),
        maxMs: num(sink.maxMs),
        recentP99Ms: sink.recentP99Ms, // null when nothing was written in the last interval
      },
      windows: (s.windows || []).map((w) => ({
        aggregation: String(w.aggregation || ''),
        windowStartMs: num(w.windowStartMs),
        windowEndMs: num(w.windowEndMs),
        // keyText if the server names the key itself; else the decimal key (regions: see regionText)
        leaders: (w.leaders || []).map((e) => ({ key: String(e.keyText ?? e.key ?? ''), value: num(e.value), flag: !!e.flag })),
      })),
      checkpointsEnabled: job.checkpointsEnabled,
      checkpointIntervalMs: job.checkpointIntervalMs,
      checkpoints: (job.checkpoints || []).map((c) => ({
        epoch: num(c.epoch),
        triggeredAtMs: num(c.triggeredAtMs),
        durationMs: num(c.durationMs),
        alignmentMs: num(c.alignmentMs),
        syncMs: num(c.syncMs),
        asyncMs: num(c.asyncMs),
        sizeBytes: num(c.sizeBytes),
        fullSizeBytes: num(c.fullSizeBytes),
        incremental: !!c.incremental,
        sharedFiles: num(c.sharedFiles),
        completed: c.completed !== false,
        failure: c.failure || '',
      })), // newest first
      rules: (alerts.rules || []).map((r) => ({ id: String(r.id || ''), title: String(r.title || r.id || ''), threshold: r.threshold, unit: r.unit || '', runbook: r.runbook || r.id })),
      alerts: (alerts.history || []).map((a) => ({
        ruleId: String(a.ruleId || ''),
        title: String(a.title || a.ruleId || ''),
        active: a.resolvedAtMs == null,
        firedAtMs: a.firedAtMs,
        resolvedAtMs: a.resolvedAtMs,
        value: a.value,
        threshold: a.threshold,
        runbook: a.runbook || a.ruleId,
      })), // newest first
      activeAlerts: num(alerts.activeCount),
      actions: {},
      lastSavepoint: s.lastSavepoint || '',
      watchedPost: s.watchedPost,
      watchedHistory: (s.watchedHistory || []).map((w) => [num(w.windowStartMs), num(w.value)]),
    };
    for (const [name, a] of Object.entries(s.actions || {})) vm.actions[name] = { enabled: !!a.enabled, reason: a.reason || '' };
    return vm;
  }

  // The partition holding the job watermark back and the one with the largest share of recent
  // records, as the server computes them for the desktop console too.
  function laggingPartition(vm) {
    return vm.laggingPartition;
  }
  function hottestPartition(vm) {
    return vm.hottestPartition;
  }

  // ------------------------------------------------------------------------------------------
  // HTTP

  async function api(method, path, body) {
    const headers = { Accept: 'application/json' };
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (method !== 'GET' && state.session && state.session.csrf) headers['X-Tally-CSRF'] = state.session.csrf;
    let response;
    try {
      response = await fetch(path, init);
    } catch (e) {
      return { status: 0, ok: false, data: { error: 'the server is not reachable' } };
    }
    const type = response.headers.get('Content-Type') || '';
    let data = null;
    try {
      data = type.includes('json') ? await response.json() : await response.text();
    } catch (e) {
      data = null;
    }
    return { status: response.status, ok: response.ok, data };
  }

  function errorText(result) {
    if (result.data && typeof result.data === 'object' && result.data.error) return String(result.data.error);
    if (typeof result.data === 'string' && result.data) return result.data.slice(0, 200);
    return result.status ? 'HTTP ' + result.status : 'no answer';
  }

  // ------------------------------------------------------------------------------------------
  // Session

  function takeFragmentToken() {
    const hash = window.location.hash || '';
    const m = /[#&]token=([^&]*)/.exec(hash);
    if (!m) return null;
    // Out of the address bar and the history before anything else happens.
    window.history.replaceState(null, '', window.location.pathname + window.location.search + '#overview');
    try {
      return decodeURIComponent(m[1]);
    } catch (e) {
      return m[1];
    }
  }

  async function login(token) {
    const r = await api('POST', '/api/v1/login', { token });
    if (r.ok && r.data && typeof r.data === 'object') return startSession(r.data);
    showLogin(r.status === 401 ? 'That token was not accepted.' : 'Login failed: ' + errorText(r));
  }

  async function resumeSession() {
    const r = await api('GET', '/api/v1/session');
    if (r.ok && r.data && typeof r.data === 'object') return startSession(r.data);
    showLogin(r.status === 401 || r.status === 403 ? '' : 'The console is not reachable: ' + errorText(r));
  }

  function showLogin(message) {
    state.session = null;
    state.snapshot = null;
    state.vm = null;
    state.snapshotAt = 0;
    document.body.dataset.auth = 'out';
    setConnection('offline', 'offline');
    closeLive();
    $('consoleView').hidden = true;
    $('loginView').hidden = false;
    $('logoutButton').hidden = true;
    $('userName').textContent = '';
    $('userRole').textContent = '';
    $('loginError').textContent = message || '';
    $('tokenInput').focus();
  }

  function startSession(data) {
    state.session = { user: String(data.user || ''), role: String(data.role || 'viewer'), csrf: String(data.csrf || '') };
    $('loginView').hidden = true;
    $('consoleView').hidden = false;
    $('logoutButton').hidden = false;
    $('userName').textContent = state.session.user;
    $('userRole').textContent = state.session.role;
    $('userRole').dataset.role = state.session.role;
    document.body.dataset.role = state.session.role;
    document.body.dataset.auth = 'in';
    route();
    loadCatalogue();
    connectLive();
    refreshSnapshot();
    refreshSeries(true);
    refreshAudit();
  }

  async function logout() {
    closeLive(); // the server ends the feed with the session: that is no reason to reconnect
    await api('POST', '/api/v1/logout', {});
    showLogin('Logged out.');
  }

  // ------------------------------------------------------------------------------------------
  // Live connection

  function setConnection(stateName, text) {
    const el = $('connState');
    el.dataset.state = stateName;
    el.textContent = text;
  }

  function connectLive() {
    closeLive();
    const url = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + '/api/v1/live';
    setConnection('connecting', state.wsAttempt ? 'reconnecting…' : 'connecting…');
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    state.ws = ws;
    ws.addEventListener('open', () => {
      state.wsAttempt = 0;
      setConnection('live', 'live');
      clearInterval(state.pollTimer);
      state.pollTimer = null;
    });
    ws.addEventListener('message', (event) => {
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (msg.type === 'snapshot' && msg.data) applySnapshot(msg.data);
      else if (msg.type === 'action') onActionFinished(msg);
      else if (msg.type === 'verification') onActionVerified(msg);
    });
    ws.addEventListener('close', () => {
      if (state.ws !== ws) return; // replaced on purpose
      state.ws = null;
      scheduleReconnect();
    });
  }

  function closeLive() {
    clearTimeout(state.wsTimer);
    clearInterval(state.pollTimer);
    state.pollTimer = null;
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.close();
    }
  }

  async function scheduleReconnect() {
    if (!state.session) return;
    // A refused upgrade looks like any other close: ask whether the session still stands.
    const r = await api('GET', '/api/v1/session');
    if (r.status === 401) {
      showLogin('The session has ended; log in again.');
      return;
    }
    // While the live feed is down, the figures still move: poll the snapshot every 2 s.
    if (!state.pollTimer) state.pollTimer = setInterval(refreshSnapshot, 2000);
    const delay = Math.min(30000, 1000 * Math.pow(2, state.wsAttempt));
    state.wsAttempt++;
    let left = Math.round(delay / 1000);
    const what = r.status === 0 ? 'server unreachable' : 'live feed down, polling';
    setConnection('offline', what + '; retry in ' + left + ' s');
    clearTimeout(state.wsTimer);
    const tick = () => {
      left--;
      if (left <= 0) connectLive();
      else {
        setConnection('offline', what + '; retry in ' + left + ' s');
        state.wsTimer = setTimeout(tick, 1000);
      }
    };
    state.wsTimer = setTimeout(tick, 1000);
  }

  async function refreshSnapshot() {
    if (!state.session) return;
    const r = await api('GET', '/api/v1/snapshot');
    if (r.ok && r.data && typeof r.data === 'object') applySnapshot(r.data);
  }

  // ------------------------------------------------------------------------------------------
  // Series: the server's history for the charts, topped up from live snapshots.

  function seriesKey(name, labels) {
    const parts = Object.keys(labels || {})
      .sort()
      .map((k) => k + '=' + labels[k]);
    return parts.length ? name + '{' + parts.join(',') + '}' : name;
  }

  // {series:[{name, labels, points:[[t_ms, value], ...]}]} -> Map(key -> points)
  function normaliseSeries(data) {
    const out = new Map();
    for (const s of data.series || []) out.set(seriesKey(s.name, s.labels), (s.points || []).map((p) => [num(p[0]), Number(p[1])]));
    return out;
  }

  // The server series each page charts (names of the job's TimeSeriesStore).
  const PAGE_SERIES = {
    overview: ['tally_events_total:rate', 'tally_output_rows_total:rate', 'tally_watermark_skew_ms', 'tally_sink_write_latency_us:p99', 'tally_checkpoint_duration_ms:max'],
    lag: ['tally_kafka_consumer_lag_seconds', 'tally_partition_records_total:rate'],
    watermarks: ['tally_partition_watermark_ms', 'tally_watermark_skew_ms', 'tally_watermark_bound_ms', 'tally_late_events_total:rate', 'tally_dropped_events_total:rate'],
    checkpoints: ['tally_checkpoint_duration_ms:max'],
    backpressure: ['tally_operator_backpressured_nanoseconds_total:rate'],
    sinks: ['tally_sink_write_latency_us:p50', 'tally_sink_write_latency_us:p99', 'tally_sink_rows_total:rate', 'tally_sink_pending_rows', 'tally_sink_diverted_rows'],
  };

  // The watched post's windows: asking the server also keeps it watched there.
  async function refreshWatched(force) {
    const post = state.watch.post;
    if (!state.session || state.page !== 'windows' || !post) return;
    if (!force && Date.now() - state.watch.fetchedAt < 1800) return;
    state.watch.fetchedAt = Date.now();
    const r = await api('GET', '/api/v1/posts/' + post + '/windows');
    if (r.ok && r.data && state.watch.post === post) {
      state.watch.points = (r.data.windows || []).map((w) => [num(w.windowStartMs), num(w.value)]);
      drawCharts();
    }
  }

  async function refreshSeries(force) {
    if (!state.session) return;
    const names = PAGE_SERIES[state.page];
    if (!names) return;
    if (!force && Date.now() - state.seriesFetchedAt < 1800) return;
    state.seriesFetchedAt = Date.now();
    const page = state.page;
    const r = await api('GET', '/api/v1/series?name=' + names.map(encodeURIComponent).join(','));
    if (r.ok && r.data && state.page === page) {
      state.series = normaliseSeries(r.data);
      drawCharts();
    }
  }

  // Every server series whose name matches, with its labels: [{labels, points}].
  function serverSeries(name) {
    const out = [];
    if (!state.series) return out;
    for (const [key, points] of state.series) {
      const brace = key.indexOf('{');
      const base = brace < 0 ? key : key.slice(0, brace);
      if (base !== name) continue;
      const labels = {};
      if (brace >= 0)
        for (const part of key.slice(brace + 1, -1).split(',')) {
          const eq = part.indexOf('=');
          if (eq > 0) labels[part.slice(0, eq)] = part.slice(eq + 1).replace(/^"|"$/g, '');
        }
      out.push({ labels, points });
    }
    return out;
  }

  function record(key, t, v) {
    if (v == null || !isFinite(v)) return;
    let points = state.history.get(key);
    if (!points) state.history.set(key, (points = []));
    if (points.length && points[points.length - 1][0] >= t) return;
    points.push([t, v]);
    while (points.length && points[0][0] < t - HISTORY_MS) points.shift();
  }

  function recordHistory(vm) {
    const t = vm.t;
    record('events', t, vm.eventsPerSecond);
    record('rows', t, vm.rowsPerSecond);
    record('skew', t, vm.skewMs / 1000);
    if (vm.boundMs != null) record('bound', t, num(vm.boundMs) / 1000);
    record('dropped', t, vm.droppedPerSecond);
    record('deadLetters', t, vm.deadLettersPerSecond);
    for (const p of vm.partitions) {
      if (p.lagSeconds != null) record('lag:' + p.partition, t, num(p.lagSeconds));
      record('records:' + p.partition, t, p.recordsPerSecond);
      if (p.watermarkMs != null && num(p.watermarkMs) > 0 && num(p.watermarkMs) < MAX_WATERMARK) record('wmdelay:' + p.partition, t, Math.max(0, (t - num(p.watermarkMs)) / 1000));
    }
    for (const o of vm.operators) record('bp:' + o.name, t, o.backpressured * 100);
    if (vm.sink.present) {
      record('sinkP99', t, vm.sink.recentP99Ms != null ? num(vm.sink.recentP99Ms) : null);
      record('sinkRows', t, vm.sink.rowsPerSecond);
      record('sinkPending', t, vm.sink.pendingRows);
      record('sinkDiverted', t, vm.sink.divertedRows);
    }
    for (const c of [...vm.checkpoints].reverse()) record('checkpoint', c.triggeredAtMs, c.durationMs); // oldest first
    const perPost = newestWindow(vm, 'likes_per_post');
    if (perPost) {
      const counts = new Map();
      for (const e of perPost.leaders) counts.set(String(e.key), e.value);
      state.windowCounts.set(perPost.windowStartMs, counts);
      for (const start of [...state.windowCounts.keys()].sort((a, b) => a - b).slice(0, -30)) state.windowCounts.delete(start);
    }
  }

  function own(key) {
    return state.history.get(key) || [];
  }

  // ------------------------------------------------------------------------------------------
  // Charts

  function chart(name, options) {
    if (state.charts[name]) return state.charts[name];
    const box = document.querySelector('[data-chart="' + name + '"]');
    const c = new window.TallyChart.LineChart(box, options);
    state.charts[name] = c;
    return c;
  }

  // A chart's series: the server's when it has them (they reach back before the page was opened),
  // else the console's own history from snapshots.
  function fromServer(name, scale, label, labelKey, map) {
    return serverSeries(name)
      .map((s) => ({
        label: labelKey ? label.replace('%1', s.labels[labelKey] ?? '?') : label,
        points: s.points.map((p) => [p[0], map ? map(p) : p[1] * (scale || 1)]),
        order: labelKey ? num(s.labels[labelKey]) : 0,
      }))
      .sort((a, b) => a.order - b.order);
  }
  function either(server, local) {
    return server.length && server.some((s) => s.points.length) ? server : local;
  }
  function perKey(prefix, label) {
    const out = [];
    for (const [key, points] of state.history)
      if (key.startsWith(prefix)) out.push({ label: label.replace('%1', key.slice(prefix.length)), points, order: num(key.slice(prefix.length)) });
    // Partitions by number; operators stay in pipeline order (the order they first came in).
    return out.every((s) => isFinite(s.order)) ? out.sort((a, b) => a.order - b.order) : out;
  }

  const CHARTS = {
    overview: () => {
      chart('overviewSkew', { title: 'Watermark skew', unit: 'seconds', height: 150 }).setSeries(
        either(fromServer('tally_watermark_skew_ms', 0.001, 'skew (max - min)'), [{ label: 'skew (max - min)', points: own('skew') }])
      );
      chart('overviewSink', { title: 'Sink write latency', unit: 'ms', height: 150 }).setSeries(
        either(fromServer('tally_sink_write_latency_us:p99', 0.001, 'p99'), [{ label: 'p99', points: own('sinkP99') }])
      );
      const cp = chart('overviewCheckpoint', { title: 'Checkpoint duration', unit: 'ms', height: 150 });
      cp.setPlaceholder(state.vm && state.vm.checkpointsEnabled === false ? 'checkpoints are off' : '');
      cp.setSeries(either(fromServer('tally_checkpoint_duration_ms:max', 1, 'duration'), [{ label: 'duration', points: own('checkpoint') }]));
      chart('throughput', { title: 'Throughput', unit: 'per second', height: 300 }).setSeries(
        either(
          [...fromServer('tally_events_total:rate', 1, 'events in'), ...fromServer('tally_output_rows_total:rate', 1, 'rows out')],
          [
            { label: 'events in', points: own('events') },
            { label: 'rows out', points: own('rows') },
          ]
        )
      );
    },
    lag: () => {
      const lag = chart('lag', { title: 'Consumer lag per partition', unit: 'seconds', height: 280 });
      lag.setPlaceholder(state.vm && !state.vm.kafka ? 'no consumer lag: the source is the built-in generator' : '');
      lag.setSeries(either(fromServer('tally_kafka_consumer_lag_seconds', 1, 'partition %1', 'partition'), perKey('lag:', 'partition %1')));
      chart('partitionRecords', { title: 'Records per partition', unit: 'records/s', height: 280 }).setSeries(
        either(fromServer('tally_partition_records_total:rate', 1, 'partition %1', 'partition'), perKey('records:', 'partition %1'))
      );
    },
    watermarks: () => {
      chart('watermarkDelay', { title: 'Partition watermarks behind the wall clock', unit: 'seconds' }).setSeries(
        either(
          fromServer('tally_partition_watermark_ms', 1, 'partition %1', 'partition', (p) => (p[1] > 0 && p[1] < MAX_WATERMARK ? Math.max(0, (p[0] - p[1]) / 1000) : NaN)),
          perKey('wmdelay:', 'partition %1')
        )
      );
      chart('watermarkSkew', { title: 'Watermark skew', unit: 'seconds' }).setSeries(
        either(
          [...fromServer('tally_watermark_skew_ms', 0.001, 'skew (max - min)'), ...fromServer('tally_watermark_bound_ms', 0.001, 'out-of-orderness bound')],
          [
            { label: 'skew (max - min)', points: own('skew') },
            { label: 'out-of-orderness bound', points: own('bound') },
          ]
        )
      );
      chart('late', { title: 'Late and dropped events', unit: 'events/s', height: 180 }).setSeries(
        either(
          [...fromServer('tally_late_events_total:rate', 1, 'late (window re-fired)'), ...fromServer('tally_dropped_events_total:rate', 1, 'dropped (past allowed lateness)')],
          [{ label: 'dropped (past allowed lateness)', points: own('dropped') }]
        )
      );
    },
    checkpoints: () => {
      const c = chart('checkpointDuration', { title: 'Checkpoint duration', unit: 'ms', height: 260 });
      const interval = state.vm && state.vm.checkpointIntervalMs;
      c.setReference('80% of the interval', interval ? num(interval) * 0.8 : null);
      c.setPlaceholder(state.vm && state.vm.checkpointsEnabled === false ? 'checkpoints are off' : '');
      c.setSeries(either(fromServer('tally_checkpoint_duration_ms:max', 1, 'duration (max per second)'), [{ label: 'duration', points: own('checkpoint') }]));
    },
    backpressure: () => {
      chart('backpressure', { title: 'Backpressured time per operator', unit: '%', height: 260 }).setSeries(
        either(
          // Blocked nanoseconds per second as a share of time. A long block is counted when it
          // ends, so one sampling interval can exceed 100 %: a share of time cannot, clamp it.
          fromServer('tally_operator_backpressured_nanoseconds_total:rate', 1, '%1', 'operator', (p) => Math.min(100, Math.max(0, p[1] * 1e-7)))
            .map((s) => Object.assign(s, { order: operatorPosition(s.label) }))
            .sort((a, b) => a.order - b.order || (a.label < b.label ? -1 : 1)),
          perKey('bp:', '%1')
        )
      );
    },
    sinks: () => {
      const sink = state.vm && state.vm.sink.name;
      const forSink = (list) => list.filter((s) => !sink || !s.sinkLabel || s.sinkLabel === sink);
      const server = (name, scale, label) =>
        forSink(
          serverSeries(name).map((s) => ({ label, sinkLabel: s.labels.sink, points: s.points.map((p) => [p[0], p[1] * scale]) }))
        );
      chart('sinkLatency', { title: 'Write latency', unit: 'ms' }).setSeries(
        either([...server('tally_sink_write_latency_us:p50', 0.001, 'p50'), ...server('tally_sink_write_latency_us:p99', 0.001, 'p99')], [{ label: 'p99 (last interval)', points: own('sinkP99') }])
      );
      chart('sinkRows', { title: 'Rows written and pending', unit: 'rows' }).setSeries(
        either(
          [...server('tally_sink_rows_total:rate', 1, 'rows/s'), ...server('tally_sink_pending_rows', 1, 'pending'), ...server('tally_sink_diverted_rows', 1, 'diverted')],
          [
            { label: 'rows/s', points: own('sinkRows') },
            { label: 'pending', points: own('sinkPending') },
            { label: 'diverted', points: own('sinkDiverted') },
          ]
        )
      );
    },
    windows: () => {
      // Per-window counts of the current leaders of likes_per_post, by window start: the post this
      // page watches (or, without one, the leader the console follows) from the server's history
      // of it, the others from the windows this page has seen since it was opened.
      const c = chart('windowCounts', { title: 'Leading posts, net likes per window', unit: 'likes (window start, event time)', height: 210, windowMs: 60 * 60 * 1000, xUtc: true });
      const vm = state.vm;
      const current = vm ? newestWindow(vm, 'likes_per_post') : null;
      const keys = current ? current.leaders.slice(0, 6).map((e) => String(e.key)) : [];
      const starts = [...state.windowCounts.keys()].sort((a, b) => a - b);
      const series = [];
      const own = state.watch.post;
      const watched = own || (vm && vm.watchedPost != null ? String(vm.watchedPost) : null);
      if (own) series.push({ label: 'post ' + own + ' (watched)', points: state.watch.points });
      else if (watched && vm.watchedHistory.length) series.push({ label: 'post ' + watched + ' (followed)', points: vm.watchedHistory });
      for (const k of keys) {
        if (k === watched && series.length) continue;
        series.push({ label: 'post ' + k, points: starts.filter((t) => state.windowCounts.get(t).has(k)).map((t) => [t, state.windowCounts.get(t).get(k)]) });
      }
      c.setSeries(series);
    },
  };

  function drawCharts() {
    const draw = CHARTS[state.page];
    if (draw && state.session) draw();
  }

  // ------------------------------------------------------------------------------------------
  // Pages

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // rows: [{ cells: [...], highlight, selected, title, num: [column indices right-aligned] }]
  function fillTable(table, rows, emptyText) {
    const body = table.tBodies[0];
    const columns = table.tHead ? table.tHead.rows[0].cells : [];
    const fragment = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement('tr');
      if (row.highlight) tr.classList.add('warn');
      if (row.selected) {
        tr.classList.add('selected');
        tr.setAttribute('aria-selected', 'true');
      }
      if (row.title) tr.title = row.title;
      if (row.id) tr.dataset.id = row.id;
      row.cells.forEach((cell, i) => {
        const td = document.createElement('td');
        if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell == null ? '' : String(cell);
        if (columns[i] && columns[i].classList.contains('num')) td.classList.add('num');
        tr.appendChild(td);
      });
      fragment.appendChild(tr);
    }
    if (!rows.length && emptyText) {
      const tr = document.createElement('tr');
      const td = el('td', emptyText, 'empty');
      td.colSpan = Math.max(1, columns.length);
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    body.replaceChildren(fragment);
  }

  function kvRows(pairs) {
    return pairs.map(([k, v, highlight, title]) => ({ cells: [k, v], highlight, title }));
  }

  function newestWindow(vm, aggregation, lengthMs) {
    let chosen = null;
    for (const w of vm.windows) {
      if (w.aggregation !== aggregation) continue;
      const length = w.windowEndMs - w.windowStartMs;
      if (lengthMs ? length === lengthMs : !chosen || length < chosen.windowEndMs - chosen.windowStartMs) chosen = w;
    }
    return chosen;
  }

  function alertRows(vm) {
    return vm.alerts.map((a) => ({
      cells: [a.title, a.active ? 'active' : 'resolved', formatTimestamp(a.firedAtMs), a.resolvedAtMs != null ? formatTimestamp(a.resolvedAtMs) : '', a.value != null ? oneDecimal.format(num(a.value)) : '', a.threshold != null ? oneDecimal.format(num(a.threshold)) : ''],
      highlight: a.active,
      id: a.runbook,
    }));
  }

  // A rule's threshold; operators get a button that changes it (kept, and audited, by the server).
  function thresholdCell(r) {
    const text = r.threshold != null ? oneDecimal.format(num(r.threshold)) + (r.unit ? ' ' + r.unit : '') : '';
    if (!isOperator() || r.threshold == null) return text;
    const cell = el('span', text + ' ');
    const change = el('button', 'Set…', 'link');
    change.type = 'button';
    change.title = 'Change the threshold of ' + r.title;
    change.addEventListener('click', async () => {
      const answer = window.prompt('New threshold for "' + r.title + '"' + (r.unit ? ' (' + r.unit + ')' : ''), String(r.threshold));
      if (answer == null || answer.trim() === '') return;
      const result = await api('POST', '/api/v1/alerts/' + encodeURIComponent(r.id) + '/threshold', { threshold: Number(answer) });
      if (!result.ok) window.alert('The threshold was not changed: ' + errorText(result));
    });
    cell.appendChild(change);
    return cell;
  }

  const RENDER = {
    overview(vm) {
      const rows = [
        ['Throughput in', formatRate(vm.eventsPerSecond), false, 'Like events decoded per second'],
        ['Throughput out', formatRate(vm.rowsPerSecond), false, 'Window results per second'],
        ['Database up to date to', formatFreshness(vm.freshness), vm.alerts.some((a) => a.active && a.ruleId === 'results_stale'), 'Every window ending before it has its rows in the database'],
        ['Behind by', formatFreshnessParts(vm.freshness), false, "Where the delay goes: records waiting in Kafka, the watermark's out-of-orderness bound, fired windows waiting for their epoch to close, rows waiting in the sink"],
        ...(vm.restoring
          ? [['Restoring', 'from ' + vm.restoring.from + ': ' + vm.restoring.tasksDone + ' of ' + vm.restoring.tasks + ' window tasks loaded, ' + formatDuration(num(vm.restoring.forMs) / 1000) + ' so far', true, 'The window tasks are loading the state they continue from; results wait until they have']]
          : []),
        ['Likes counted up to', formatEventTime(vm.watermarkMs), false, 'The job watermark: windows ending before it have fired'],
        vm.kafka ? ['Consumer lag', formatDuration(vm.lagSeconds), vm.lagSeconds > 10] : ['Consumer lag', 'none (built-in generator)'],
        ['Watermark skew', formatDuration(vm.skewMs / 1000)],
        ['Capacity', formatCapacity(vm.capacity), !!(vm.capacity && vm.capacity.headroom != null && vm.capacity.headroom < 1.2),
          'The highest input rate this machine sustains at this parallelism, from each operator\'s CPU time per record (a low load under-estimates it)'],
        ...(vm.capacity
          ? [['A 500K/s burst for 1 min', formatBurst(vm.capacity.burst), false, "What a celebrity post's burst of 500,000 records/s for a minute would do to the lag"]]
          : []),
      ];
      if (vm.checkpoints.length) {
        const c = vm.checkpoints[0];
        rows.push(['Last checkpoint', 'epoch ' + c.epoch + ', ' + formatDuration(Math.max(0, vm.t - c.triggeredAtMs) / 1000) + ' ago, took ' + formatDuration(c.durationMs / 1000), !c.completed]);
      } else {
        rows.push(['Last checkpoint', vm.checkpointsEnabled === false ? 'off (checkpoint.enabled)' : 'none yet']);
      }
      rows.push(['Last savepoint', vm.lastSavepoint ? vm.lastSavepoint.split('/').pop() : 'none yet', false, vm.lastSavepoint]);
      if (vm.sink.present) {
        let text = circuitText(vm.sink.circuit);
        if (vm.sink.held) text += ', holding writes (drained)';
        if (vm.sink.divertedRows > 0) text += ', ' + formatCount(vm.sink.divertedRows) + ' rows diverted';
        rows.push(['Sink', vm.sink.name + ': ' + text, circuitName(vm.sink.circuit) !== 'closed']);
      } else rows.push(['Sink', 'none']);
      rows.push(['Active alerts', String(vm.activeAlerts), vm.activeAlerts > 0]);
      rows.push(['Job state', vm.state]);
      if (vm.parallelism != null) rows.push(['Parallelism', String(vm.parallelism)]);
      fillTable($('overviewTable'), kvRows(rows));
      fillTable($('overviewAlerts'), alertRows(vm), 'No alert has fired.');
    },
    lag(vm) {
      $('lagSummary').textContent = vm.kafka
        ? 'Largest lag ' + formatDuration(vm.lagSeconds) + '; time to catch up at the current rates: ' + formatTimeToCatchUp(vm.timeToCatchUpSeconds)
        : 'The built-in generator has no consumer lag: records are produced on demand. Records per partition show where the traffic goes.';
      const hot = hottestPartition(vm);
      const lagging = laggingPartition(vm);
      fillTable(
        $('partitionTable'),
        vm.partitions.map((p) => {
          const isHot = hot && hot.partition === p.partition && hot.share > 0.5 && vm.partitions.length > 1;
          const holdsBack = lagging === p.partition && vm.skewMs > 0;
          return {
            cells: [p.partition, formatCount(p.records), formatCount(p.recordsPerSecond), formatEventTime(p.watermarkMs), p.idle ? 'idle' : '', p.lagRecords != null ? formatCount(p.lagRecords) : '-', p.lagSeconds != null ? oneDecimal.format(num(p.lagSeconds)) : '-', p.lagStatus || '-'],
            highlight: isHot || holdsBack || (p.lagStatus != null && p.lagStatus !== 'OK'),
            title: p.lagStatus != null && p.lagStatus !== 'OK' ? p.lagStatus + ": the group's committed offset over the last ten commits" : isHot ? 'Hot partition: ' + formatPercent(hot.share) + ' of recent records' : holdsBack ? 'Holds the job watermark back' : '',
          };
        }),
        'No partition yet.'
      );
    },
    watermarks(vm) {
      const lagging = laggingPartition(vm);
      $('watermarkSummary').textContent =
        'Job watermark ' + formatEventTime(vm.watermarkMs) + ', skew ' + formatDuration(vm.skewMs / 1000) + '. ' + (lagging != null && vm.skewMs > 0 ? 'Partition ' + lagging + ' holds the watermark back. ' : '') + 'Late so far: ' + formatCount(vm.lateEvents) + ', dropped: ' + formatCount(vm.droppedEvents) + '.';
    },
    checkpoints(vm) {
      const note = $('checkpointNote');
      note.hidden = vm.checkpointsEnabled !== false;
      note.textContent = 'This job takes no checkpoints (checkpoint.enabled is false): after a crash it starts again from the source. Savepoints work without them: take one from the toolbar, stop with one, or rescale; tally --restore FILE continues from one.';
      const done = vm.checkpoints.filter((c) => c.completed);
      $('checkpointSummary').textContent = vm.checkpoints.length
        ? vm.checkpoints.length + ' recent checkpoints, ' + (vm.checkpoints.length - done.length) + ' failed; newest epoch ' + vm.checkpoints[0].epoch + (vm.checkpointIntervalMs ? '; interval ' + formatDuration(num(vm.checkpointIntervalMs) / 1000) : '') + '.'
        : '';
      fillTable(
        $('checkpointTable'),
        vm.checkpoints.map((c) => ({
          cells: [c.epoch, formatClock(c.triggeredAtMs, true), formatDuration(c.durationMs / 1000), c.alignmentMs.toFixed(1) + ' ms', c.syncMs.toFixed(1) + ' ms', formatDuration(c.asyncMs / 1000), c.completed ? (c.incremental ? 'incremental' : 'full') : '', c.completed ? formatBytes(c.sizeBytes) : '', c.completed ? formatBytes(c.fullSizeBytes) : '', c.completed ? c.sharedFiles : '', c.completed ? 'completed' : 'failed: ' + c.failure],
          highlight: !c.completed,
        })),
        vm.checkpointsEnabled === false ? 'Checkpoints are off.' : 'No checkpoint yet.'
      );
      fillTable(
        $('restorePointTable'),
        state.restorePoints.map((p) => ({
          cells: [p.kind + (p.incremental ? ' (incremental)' : ''), p.epoch, formatTimestamp(p.takenAtMs), formatBytes(p.bytes), el('code', p.command)],
        })),
        'No checkpoint or savepoint on disk.'
      );
    },
    backpressure(vm) {
      renderOperatorGraph(vm);
      fillTable(
        $('operatorTable'),
        vm.operators.map((o) => ({
          cells: [o.name, formatRate(o.recordsIn), formatRate(o.recordsOut), formatPercent(o.busy), formatPercent(o.idle), formatPercent(o.backpressured)],
          highlight: o.backpressured > 0.5 || o.busy > 0.9,
          title: o.backpressured > 0.5 ? 'Blocked by a full downstream queue most of the time' : o.busy > 0.9 ? 'Busy most of the time: a likely bottleneck' : '',
        }))
      );
    },
    sinks(vm) {
      const k = vm.sink;
      if (!k.present) {
        fillTable($('sinkTable'), kvRows([['Sink', 'none (output.type is "none")']]));
        return;
      }
      fillTable(
        $('sinkTable'),
        kvRows([
          ['Sink', k.name],
          ['Circuit', circuitText(k.circuit), circuitName(k.circuit) !== 'closed'],
          ['Writes', k.held ? 'held (drained)' : 'flowing', k.held],
          ['Rows/s', formatCount(k.rowsPerSecond)],
          ['Pending rows', formatCount(k.pendingRows)],
          ['Diverted rows', formatCount(k.divertedRows), k.divertedRows > 0],
          ['Write latency p50', formatDuration(k.p50Ms / 1000)],
          ['Write latency p99', formatDuration(k.p99Ms / 1000)],
          ['Write latency max', formatDuration(k.maxMs / 1000)],
          ['Retries', formatCount(k.retries)],
          ['Transient errors', formatCount(k.transientErrors)],
          ['Rejected rows', formatCount(k.rejectedRows), k.rejectedRows > 0],
          ['Last committed epoch', formatCount(k.committedEpoch)],
          ['Last window written', formatEventTime(k.lastWindowEndMs)],
        ])
      );
    },
    windows(vm) {
      const boxes = [
        { title: 'Top posts now (likes_per_post)', aggregation: 'likes_per_post', head: ['Rank', 'Post', 'Likes'] },
        { title: 'Likes by region', aggregation: 'likes_by_region', head: ['Rank', 'Region', 'Likes'] },
        { title: 'Velocity leaders (like_velocity)', aggregation: 'like_velocity', head: ['Rank', 'Post', 'Likes in window', 'Viral'] },
        { title: 'Spam suspects', aggregation: 'spam_suspects', head: ['Rank', 'User', 'Likes in window'] },
      ];
      const container = $('leaderBoxes');
      if (!container.children.length) {
        for (const b of boxes) {
          const box = el('div', null, 'col leader-box');
          box.dataset.aggregation = b.aggregation;
          box.appendChild(el('h2', b.title));
          box.appendChild(el('div', '', 'window-range muted'));
          const table = el('table', null, 'grid');
          const tr = table.createTHead().insertRow();
          b.head.forEach((h, i) => tr.appendChild(el('th', h, i === 0 || i === 2 ? 'num' : '')));
          table.createTBody();
          box.appendChild(table);
          container.appendChild(box);
        }
      }
      for (const b of boxes) {
        const box = container.querySelector('[data-aggregation="' + b.aggregation + '"]');
        const w = newestWindow(vm, b.aggregation);
        box.querySelector('.window-range').textContent = w ? 'Window ' + formatUtcClock(w.windowStartMs) + ' - ' + formatUtcClock(w.windowEndMs) + ' UTC' : 'no window has fired yet';
        const posts = b.aggregation === 'likes_per_post' || b.aggregation === 'like_velocity';
        fillTable(
          box.querySelector('table'),
          (w ? w.leaders.slice(0, LEADER_ROWS) : []).map((e, i) => {
            // A post links to this page watching it (only this page: each view watches its own).
            const key = posts ? el('a', e.key) : b.aggregation === 'likes_by_region' ? regionText(e.key) : e.key;
            if (posts) {
              key.href = '#windows/post/' + e.key;
              key.title = 'Watch post ' + e.key + ' on this page';
            }
            const cells = [i + 1, key, formatCount(e.value)];
            if (b.aggregation === 'like_velocity') cells.push(e.flag ? 'viral' : '');
            return { cells, highlight: e.flag };
          }),
          'no window has fired yet'
        );
      }
      const followed = vm.watchedPost != null ? String(vm.watchedPost) : null;
      $('watchState').textContent = state.watch.post
        ? 'Watching post ' + state.watch.post + ' on this page.'
        : followed
          ? 'Following the leading post, ' + followed + '. Pick a post above, or enter one, to watch it on this page.'
          : 'No window has fired yet.';
      $('watchLeader').hidden = !state.watch.post;
    },
    alerts(vm) {
      const rules = vm.rules.length ? vm.rules : [...new Map(vm.alerts.map((a) => [a.ruleId, { id: a.ruleId, title: a.title, runbook: a.runbook }])).values()];
      const firing = new Set(vm.alerts.filter((a) => a.active).map((a) => a.ruleId));
      fillTable(
        $('ruleTable'),
        rules.map((r) => {
          const button = el('button', 'runbook', 'link');
          button.type = 'button';
          button.addEventListener('click', () => showRunbook(r.runbook || r.id));
          return {
            cells: [r.title, firing.has(r.id) ? 'firing' : 'ok', ruleNow(vm, r.id), thresholdCell(r), button],
            highlight: firing.has(r.id),
            id: r.id,
          };
        }),
        'No rules.'
      );
      fillTable($('alertTable'), alertRows(vm), 'No alert has fired.');
      for (const tr of $('alertTable').tBodies[0].rows) if (tr.dataset.id) tr.addEventListener('click', () => showRunbook(tr.dataset.id));
      if (!state.runbookId) {
        const active = vm.alerts.find((a) => a.active);
        showRunbook(active ? active.runbook : rules.length ? rules[0].runbook || rules[0].id : 'backpressure');
      }
    },
    kafka() {
      renderKafka();
    },
    deadletters() {
      const d = state.deadLetters;
      if (!d) return;
      const select = $('dlReason');
      if (d.stored) {
        $('dlTotals').textContent = d.unavailable
          ? 'No stored dead letters to show: ' + d.unavailable
          : !d.complete
            ? 'The newest ' + formatCount(d.letters.length) + ' stored dead letters found in half a second (the read stopped there: older ones are not shown).'
            : d.letters.length
              ? 'The newest ' + formatCount(d.letters.length) + ' stored dead letters, every run\'s.'
              : 'No stored dead letters.';
      } else {
        $('dlKept').textContent = formatCount(d.kept);
        const reasons = Object.keys(d.totals);
        if (select.options.length === 1)
          for (const r of reasons) {
            const option = el('option', r);
            option.value = r;
            select.appendChild(option);
          }
        for (const option of select.options) if (option.value) option.textContent = option.value + ' (' + formatCount(d.totals[option.value]) + ')';
        $('dlTotals').textContent = d.total
          ? formatCount(d.total) + ' dead letters in this run: ' + reasons.filter((r) => d.totals[r] > 0).map((r) => r + ' ' + formatCount(d.totals[r])).join(', ')
          : 'No dead letters in this run.';
      }
      fillTable(
        $('dlTable'),
        d.letters.map((l) => ({
          id: String(l.sequence),
          cells: [formatTimestamp(l.atMs), l.reason, l.partition, l.offset, formatCount(l.bytes), l.detail],
          selected: String(l.sequence) === state.deadLetterPicked,
        })),
        d.stored ? 'No stored dead letters to show.' : d.total ? 'No dead letter of this reason among the kept ones.' : 'No dead letters in this run.'
      );
      for (const tr of $('dlTable').tBodies[0].rows)
        if (tr.dataset.id)
          tr.addEventListener('click', () => {
            state.deadLetterPicked = tr.dataset.id;
            RENDER.deadletters();
          });
      const picked = d.letters.find((l) => String(l.sequence) === state.deadLetterPicked);
      $('dlShowText').setAttribute('aria-pressed', String(!state.deadLetterHex));
      $('dlShowHex').setAttribute('aria-pressed', String(state.deadLetterHex));
      if (!picked) {
        $('dlWhere').textContent = 'Pick a record to see its bytes.';
        $('dlBytes').textContent = '';
        return;
      }
      const bytes = Uint8Array.from(atob(picked.payload), (c) => c.charCodeAt(0));
      $('dlWhere').textContent =
        picked.reason + ' from partition ' + picked.partition + ', offset ' + picked.offset + ', ' + formatCount(picked.bytes) + ' bytes: ' + picked.detail +
        (picked.bytes > bytes.length ? ' (the first ' + formatCount(bytes.length) + ' bytes shown)' : '');
      const shown = state.deadLetterHex ? bytesAsHex(bytes) : bytesAsText(bytes);
      if ($('dlBytes').textContent !== shown) $('dlBytes').textContent = shown; // keeps a selection in it
    },
    audit() {
      fillTable(
        $('auditTable'),
        state.audit.map((a) => ({
          cells: [formatTimestamp(a.atMs), a.user || '', a.source || '', a.action || '', paramsText(a.parameters), a.outcome || '', a.detail || ''],
          highlight: a.outcome === 'refused' || a.outcome === 'failed' || a.outcome === 'not verified',
        })),
        'No action yet.'
      );
    },
  };

  // What a rule's condition measures now, by the rule's own formula (models/alerts.cpp), so the
  // page shows how far each rule is from firing; '-' where the rule has nothing to measure.
  function ruleNow(vm, id) {
    const f = (v) => (v == null || !isFinite(v) ? '-' : oneDecimal.format(v));
    switch (id) {
      case 'checkpoint_slow': {
        const c = vm.checkpoints;
        return c.length >= 2 && c[0].triggeredAtMs > c[1].triggeredAtMs ? f((c[0].durationMs * 100) / (c[0].triggeredAtMs - c[1].triggeredAtMs)) : '-';
      }
      case 'consumer_lag':
        return vm.kafka && num(vm.boundMs) > 0 ? f(vm.lagSeconds / (num(vm.boundMs) / 1000)) : '-';
      case 'sink_latency':
        return vm.sink.recentP99Ms != null ? 'p99 ' + formatDuration(num(vm.sink.recentP99Ms) / 1000) : '-';
      case 'backpressure':
        return f(Math.max(0, ...vm.operators.map((o) => o.backpressured * 100)));
      case 'hot_partition': {
        const hot = hottestPartition(vm);
        return hot && vm.partitions.length >= 2 ? f(hot.share * 100) : '-';
      }
      case 'dead_letters':
        return vm.recordsPerSecond >= 10 ? f((vm.deadLettersPerSecond * 100) / vm.recordsPerSecond) : '-';
      case 'late_drops':
        return vm.eventsPerSecond >= 10 ? f((vm.droppedPerSecond * 100) / vm.eventsPerSecond) : '-';
      default:
        return '-';
    }
  }

  const LEADER_ROWS = 8;
  const DEVICE_NAMES = ['', 'ios', 'android', 'web', 'other'];

  // A likes_by_region key as the engine's keyText() writes it ("US", "DE/android"), for a server
  // that sends the numeric key: two ASCII letters in the low 16 bits, the device type above.
  function regionText(key) {
    if (!/^\d+$/.test(key)) return key;
    const k = Number(key);
    const code = k & 0xffff;
    const device = DEVICE_NAMES[(k >> 16) & 0xff] || '';
    const region = code ? String.fromCharCode(code >> 8, code & 0xff) : '';
    return device ? region + '/' + device : region;
  }

  function paramsText(p) {
    if (p == null || p === '') return '';
    if (typeof p === 'string') return p;
    return Object.entries(p)
      .map(([k, v]) => k + '=' + v)
      .join(', ');
  }

  // Pipeline position of an operator, by the kind the server reports.
  const OPERATOR_KINDS = ['source', 'decode', 'ingest', 'window', 'output'];
  function operatorOrder(kind) {
    const i = OPERATOR_KINDS.indexOf(kind);
    return i < 0 ? OPERATOR_KINDS.length - 1 : i;
  }

  // Where the operator a series is labelled with stands in the snapshot's list (pipeline order).
  function operatorPosition(name) {
    const operators = (state.vm && state.vm.operators) || [];
    const i = operators.findIndex((o) => o.name === name);
    return i < 0 ? operators.length : i;
  }

  function renderOperatorGraph(vm) {
    const graph = $('operatorGraph');
    const columns = [[], [], [], [], []];
    for (const o of vm.operators) {
      columns[operatorOrder(o.kind)].push(o);
    }
    const fragment = document.createDocumentFragment();
    const addColumn = (items) => {
      const col = el('div', null, 'op-col');
      for (const it of items) col.appendChild(it);
      fragment.appendChild(col);
    };
    columns.forEach((ops, i) => {
      if (!ops.length) return;
      if (fragment.childNodes.length) fragment.appendChild(el('div', '→', 'op-arrow'));
      addColumn(
        ops.map((o) => {
          const box = el('div', null, 'op');
          box.dataset.level = o.backpressured > 0.5 ? 'backpressured' : o.busy > 0.9 ? 'busy' : 'ok';
          box.style.setProperty('--busy', String(Math.min(1, Math.max(0, o.busy))));
          box.appendChild(el('div', o.name, 'op-name'));
          box.appendChild(el('div', formatPercent(o.busy) + ' busy, ' + formatPercent(o.backpressured) + ' bp', 'op-figures'));
          const bar = el('div', null, 'op-bar');
          const busy = el('span', null, 'busy');
          busy.style.width = Math.round(o.busy * 100) + '%';
          const bp = el('span', null, 'bp');
          bp.style.width = Math.round(o.backpressured * 100) + '%';
          bar.append(busy, bp);
          box.appendChild(bar);
          return box;
        })
      );
    });
    if (vm.sink.present) {
      fragment.appendChild(el('div', '→', 'op-arrow'));
      const box = el('div', null, 'op sink');
      box.appendChild(el('div', 'sink: ' + vm.sink.name, 'op-name'));
      box.appendChild(el('div', circuitText(vm.sink.circuit) + (vm.sink.held ? ', held' : ''), 'op-figures'));
      addColumn([box]);
    }
    graph.replaceChildren(fragment);
  }

  async function showRunbook(id) {
    if (!id || !/^[a-z0-9_]+$/.test(id)) return;
    state.runbookId = id;
    const target = $('runbook');
    const r = await fetch('/api/v1/runbooks/' + id, { credentials: 'same-origin', headers: { Accept: 'text/markdown' } }).catch(() => null);
    if (state.runbookId !== id) return;
    const text = r && r.ok ? await r.text() : 'No runbook for ' + id + '.';
    target.dataset.runbook = id;
    target.replaceChildren(window.TallyMarkdown.render(text, (name) => requestAction(name)));
    updateActions();
    for (const tr of document.querySelectorAll('#ruleTable tbody tr')) tr.classList.toggle('selected', tr.dataset.id === id);
  }

  // ------------------------------------------------------------------------------------------
  // Snapshot -> everything

  function applySnapshot(data) {
    state.snapshot = data;
    state.vm = normalise(data);
    state.snapshotAt = Date.now();
    recordHistory(state.vm);
    renderStatus(state.vm);
    updateActions();
    // The Dead letters page draws from its own fetches (every 2 s), not from every snapshot, so
    // a picked record's bytes stay put long enough to select and copy.
    const render = state.page === 'deadletters' ? null : RENDER[state.page];
    if (render) render(state.vm);
    if (!state.series || Date.now() - state.seriesFetchedAt > 2000) refreshSeries(false);
    refreshWatched(false);
    drawCharts();
  }

  function renderStatus(vm) {
    const job = $('jobState');
    job.textContent = vm.state;
    job.dataset.state = vm.state;
    $('sbRate').textContent = formatRate(vm.eventsPerSecond);
    $('sbFreshness').textContent = formatFreshness(vm.freshness);
    $('sbFreshness').title = formatFreshnessParts(vm.freshness);
    $('sbFreshness').classList.toggle('hot', vm.alerts.some((a) => a.active && a.ruleId === 'results_stale'));
    $('sbParallelism').textContent = vm.parallelism != null ? String(vm.parallelism) : '-';
    $('sbAlerts').textContent = String(vm.activeAlerts);
    $('sbAlerts').classList.toggle('hot', vm.activeAlerts > 0);
    const badge = $('navAlerts');
    badge.hidden = !(vm.activeAlerts > 0);
    badge.textContent = String(vm.activeAlerts);
    $('sourceSink').textContent = vm.source || vm.sinkDescription ? 'Source: ' + (vm.source || '?') + ' → Sink: ' + (vm.sinkDescription || vm.sink.name || 'none') : '';
  }

  setInterval(() => {
    if (!state.snapshotAt) {
      document.body.classList.remove('stale');
      return;
    }
    const age = (Date.now() - state.snapshotAt) / 1000;
    $('snapshotAge').textContent = age > 5 && state.session ? 'data is ' + Math.round(age) + ' s old' : '';
    document.body.classList.toggle('stale', age > 5);
  }, 1000);

  // ------------------------------------------------------------------------------------------
  // Routing

  function route() {
    let page = (window.location.hash || '').replace(/^#\/?/, '');
    // #alerts/RULE: the Alerts page with that rule's runbook open (the alerts' runbook links).
    const runbook = /^alerts\/([a-z0-9_]+)$/.exec(page);
    if (runbook) {
      page = 'alerts';
      showRunbook(runbook[1]);
    }
    // #windows/post/ID: the Windows page watching that post; #windows/leader: following the
    // leading post; #windows: as this page last was.
    const watch = /^windows\/(?:post\/(\d{1,20})|leader)$/.exec(page);
    if (watch) {
      const post = watch[1] || null;
      if (post !== state.watch.post) state.watch = { post, points: [], fetchedAt: 0 };
      page = 'windows';
    }
    if (!PAGES.includes(page)) page = 'overview';
    state.page = page;
    for (const a of document.querySelectorAll('#nav a[data-page]')) {
      const current = a.dataset.page === page;
      a.classList.toggle('current', current);
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    for (const p of PAGES) $('page-' + p).hidden = p !== page;
    document.title = $('page-' + page).dataset.title.replace('&amp;', '&') + ' · Tally';
    if (page === 'audit') refreshAudit();
    if (page === 'deadletters') refreshDeadLetters();
    if (page === 'checkpoints') refreshRestorePoints();
    if (page === 'kafka') refreshKafka();
    if (state.vm && RENDER[page]) RENDER[page](state.vm);
    refreshSeries(true);
    refreshWatched(true);
    requestAnimationFrame(drawCharts);
  }

  // ------------------------------------------------------------------------------------------
  // Actions

  function isOperator() {
    return state.session && state.session.role === 'operator';
  }

  function availability(name) {
    if (!isOperator()) return { enabled: false, reason: 'Your role (' + (state.session ? state.session.role : 'none') + ') can view but not run actions.' };
    const a = state.vm && state.vm.actions[name];
    if (!a) return { enabled: !!state.vm, reason: state.vm ? '' : 'Waiting for the job.' };
    return a;
  }

  function spec(name) {
    return state.catalogue.find((a) => a.name === name) || null;
  }
  function actionLabel(name) {
    const a = spec(name);
    return a ? a.label : name;
  }
  // Whether the action asks something before it runs (a confirmation or its parameters).
  function asks(a) {
    return !!a && (!!a.confirmation || (a.parameters || []).length > 0);
  }

  // The catalogue: one button per action in the toolbar, grouped by what the action acts on.
  async function loadCatalogue() {
    const r = await api('GET', '/api/v1/actions');
    if (!r.ok || !r.data || !Array.isArray(r.data.actions)) {
      if (state.session && r.status !== 401) setTimeout(loadCatalogue, 2000);
      return;
    }
    state.catalogue = r.data.actions;
    const toolbar = $('toolbar');
    for (const old of toolbar.querySelectorAll('button[data-action], .sep')) old.remove();
    const last = $('lastOutcome');
    let subject = null;
    for (const a of state.catalogue) {
      if (subject !== null && a.subject !== subject) toolbar.insertBefore(el('span', null, 'sep'), last);
      subject = a.subject;
      const button = el('button', a.label + (asks(a) ? '…' : ''), 'action');
      button.type = 'button';
      button.dataset.action = a.name;
      if (asks(a)) button.dataset.confirm = '1';
      button.addEventListener('click', () => requestAction(a.name));
      toolbar.insertBefore(button, last);
    }
    updateActions();
  }

  function updateActions() {
    for (const button of document.querySelectorAll('button[data-action]')) {
      const a = availability(button.dataset.action);
      button.disabled = !a.enabled;
      const s = spec(button.dataset.action);
      button.title = a.enabled ? (s ? s.description : button.dataset.action) : a.reason || 'Not available now.';
      button.dataset.reason = a.enabled ? '' : a.reason || '';
    }
  }

  // The newest outcome beside the toolbar (full text as its tooltip), and the last few that
  // ended (not "sending…") in the list under the page names.
  function showOutcome(text, kind, transient) {
    const last = $('lastOutcome');
    last.textContent = text;
    last.title = text;
    last.dataset.kind = kind;
    if (transient) return;
    const li = el('li', formatClock(Date.now()) + ' ' + text);
    li.dataset.kind = kind;
    const list = $('outcomes');
    list.prepend(li);
    while (list.children.length > 5) list.lastElementChild.remove();
  }

  // Asks what the catalogue says the action asks: its confirmation and its parameters (starting
  // from their current values). Resolves to the parameters, or null when cancelled. The values go
  // to the server as typed: it checks them against the catalogue and says what is wrong.
  async function confirmAction(a) {
    const fresh = (a.parameters || []).length ? await api('GET', '/api/v1/actions') : null;
    const now = fresh && fresh.ok && fresh.data && Array.isArray(fresh.data.actions) ? fresh.data.actions.find((x) => x.name === a.name) : null;
    const listed = (a.parameters || []).some((p) => p.type === 'restore_point') ? await api('GET', '/api/v1/restore-points') : null;
    const restorePoints = listed && listed.ok && listed.data ? listed.data.points || [] : [];
    return new Promise((resolve) => {
      const dialog = $('confirmDialog');
      $('confirmTitle').textContent = a.label;
      $('confirmText').textContent = a.confirmation || a.description || '';
      const fields = $('parameterFields');
      fields.replaceChildren();
      const inputs = [];
      for (const p of a.parameters || []) {
        const current = now ? (now.parameters || []).find((x) => x.name === p.name) : null;
        const row = el('div', null, 'field');
        const value = current && current.value != null ? current.value : p.value != null ? p.value : p.minimum;
        let input;
        if (p.type === 'restore_point') {
          // The checkpoints and savepoints on disk, newest first, as the Checkpoints page lists them.
          input = document.createElement('select');
          for (const r of restorePoints) {
            const option = el('option', r.kind + ', epoch ' + r.epoch + ', ' + formatTimestamp(r.takenAtMs) + ': ' + r.path);
            option.value = r.path;
            input.appendChild(option);
          }
          input.value = value != null ? String(value) : '';
        } else {
          input = document.createElement('input');
          input.type = 'number';
          input.step = '1';
          if (p.minimum != null) input.min = String(p.minimum);
          if (p.maximum != null) input.max = String(p.maximum);
          input.value = value != null ? String(value) : '';
        }
        input.id = p.name + 'Input';
        input.name = p.name;
        const label = el('label', p.label || p.name);
        label.htmlFor = input.id;
        row.append(label, input);
        fields.appendChild(row);
        inputs.push({ p, input });
      }
      fields.hidden = inputs.length === 0;
      // The dry run for the parameters as they are in the form, again when they change.
      // Only the newest answer counts: an older one (slower, or of an earlier opening) is dropped.
      const showPlan = async () => {
        const mine = ++state.planRequests;
        const query = inputs.map(({ p, input }) => encodeURIComponent(p.name) + '=' + encodeURIComponent(p.type === 'restore_point' ? input.value : input.value.trim())).join('&');
        const r = await api('GET', '/api/v1/actions/' + encodeURIComponent(a.name) + '/plan' + (query ? '?' + query : ''));
        if (mine !== state.planRequests || !dialog.open) return;
        const plan = r.ok && r.data ? r.data : null;
        $('confirmPlan').textContent = plan ? plan.dry_run || '' : errorText(r);
        const checks = plan && Array.isArray(plan.checks) ? plan.checks : [];
        $('confirmChecks').textContent = checks.length ? 'Checked first: ' + checks.join(', ') : '';
      };
      $('confirmPlan').textContent = '';
      $('confirmChecks').textContent = '';
      for (const { input } of inputs) input.addEventListener('input', showPlan);
      showPlan();
      $('confirmOk').textContent = a.label;
      const done = () => {
        dialog.removeEventListener('close', done);
        if (dialog.returnValue !== 'ok') return resolve(null);
        const params = {};
        for (const { p, input } of inputs) {
          const text = p.type === 'restore_point' ? input.value : input.value.trim(); // a path as listed
          params[p.name] = p.type === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text;
        }
        resolve(params);
      };
      dialog.returnValue = '';
      dialog.addEventListener('close', done);
      dialog.showModal();
      (inputs.length ? inputs[0].input : $('confirmCancel')).focus();
    });
  }

  async function requestAction(name) {
    const a = spec(name);
    let params = {};
    if (asks(a)) {
      params = await confirmAction(a);
      if (params === null) {
        showOutcome(name + ': cancelled', 'info');
        return;
      }
    }
    await postAction(name, params);
  }

  async function postAction(name, params) {
    showOutcome(name + ': sending…', 'info', true);
    const r = await api('POST', '/api/v1/actions/' + encodeURIComponent(name), params || {});
    if (r.status === 202 || r.ok) {
      const id = r.data && r.data.id;
      if (id != null) {
        state.pending.set(String(id), name);
        watchOutcome(String(id), name);
      }
      showOutcome(name + ': accepted' + (id != null ? ' (#' + id + '), running…' : ''), 'info');
    } else if (r.status === 403) {
      showOutcome(name + ' refused (403): ' + errorText(r), 'error');
    } else if (r.status === 401) {
      showOutcome(name + ' refused (401): log in again', 'error');
      showLogin('The session has ended; log in again.');
    } else if (r.status === 409) {
      showOutcome(name + ' not run: ' + errorText(r), 'error');
    } else {
      showOutcome(name + ' failed (' + (r.status || 'no answer') + '): ' + errorText(r), 'error');
    }
    refreshAudit();
  }

  // The outcome normally arrives on the live feed; while the feed is down, the audit log tells:
  // the action's id is its "started" row, and its outcome is the next row of the same action.
  async function watchOutcome(id, name) {
    const deadline = Date.now() + 120000;
    while (state.pending.has(id) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      if (!state.pending.has(id) || (state.ws && state.ws.readyState === WebSocket.OPEN)) continue;
      const r = await api('GET', '/api/v1/audit?limit=50');
      const rows = r.ok && r.data ? r.data.entries || [] : [];
      const done = rows
        .filter((e) => Number(e.id) > Number(id) && e.action === name && e.user === state.session.user && (e.outcome === 'ok' || e.outcome === 'failed' || e.outcome === 'refused'))
        .sort((a, b) => Number(a.id) - Number(b.id))[0];
      if (done && state.pending.has(id)) onActionFinished({ id, action: name, ok: done.outcome === 'ok', message: done.detail || '' });
    }
  }

  // After an action succeeded, its verification says whether it was seen to work.
  function onActionVerified(msg) {
    const name = msg.action || 'action';
    showOutcome(name + (msg.ok ? ': done, verified' : ': done, not verified') + (msg.message ? ': ' + msg.message : ''), msg.ok ? 'ok' : 'error');
    refreshAudit();
  }

  function onActionFinished(msg) {
    const name = msg.action || state.pending.get(String(msg.id)) || 'action';
    state.pending.delete(String(msg.id));
    showOutcome(name + (msg.ok ? ': done' : ' failed') + (msg.message ? ': ' + msg.message : ''), msg.ok ? 'ok' : 'error');
    refreshAudit();
  }

  // A payload as text: UTF-8 as it is, other bytes and control characters (but newline and tab)
  // as \xNN, as the desktop shows it (the hex dump is the exact view).
  function bytesAsText(bytes) {
    const escaped = (b) => '\\x' + b.toString(16).padStart(2, '0');
    const utf8 = new TextDecoder('utf-8', { fatal: true });
    let out = '';
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      if (b < 0x80) {
        out += (b >= 0x20 && b !== 0x7f) || b === 10 || b === 9 ? String.fromCharCode(b) : escaped(b);
        i += 1;
        continue;
      }
      const length = b >> 5 === 0x6 ? 2 : b >> 4 === 0xe ? 3 : b >> 3 === 0x1e ? 4 : 0;
      let decoded = null;
      if (length && i + length <= bytes.length) {
        try {
          decoded = utf8.decode(bytes.subarray(i, i + length));
        } catch (e) {
          decoded = null;
        }
      }
      if (decoded === null) {
        out += escaped(b);
        i += 1;
      } else {
        out += decoded;
        i += length;
      }
    }
    return out;
  }

  // A payload as a hex dump: 16 bytes a line, offset, bytes, then the printable ones.
  function bytesAsHex(bytes) {
    const lines = [];
    for (let line = 0; line < bytes.length; line += 16) {
      let hex = '';
      let ascii = '';
      for (let i = line; i < line + 16; i++) {
        if (i < bytes.length) {
          hex += ' ' + bytes[i].toString(16).padStart(2, '0');
          ascii += bytes[i] >= 0x20 && bytes[i] < 0x7f ? String.fromCharCode(bytes[i]) : '.';
        } else hex += '   ';
      }
      lines.push(line.toString(16).padStart(8, '0') + ' ' + hex + '  ' + ascii);
    }
    return lines.join('\n');
  }

  async function refreshRestorePoints() {
    if (!state.session) return;
    const r = await api('GET', '/api/v1/restore-points');
    if (!r.ok || !r.data) return;
    state.restorePoints = r.data.points || [];
    if (state.page === 'checkpoints' && state.vm) RENDER.checkpoints(state.vm);
  }
  setInterval(() => {
    if (state.session && state.page === 'checkpoints') refreshRestorePoints();
  }, 5000);

  // The topic and group as the broker describes them; the server refreshes them every 5 s.
  async function refreshKafka() {
    if (!state.session) return;
    const r = await api('GET', '/api/v1/kafka');
    if (!r.ok || !r.data) return;
    state.kafka = r.data;
    if (state.page === 'kafka') renderKafka();
  }
  setInterval(() => {
    if (state.session && state.page === 'kafka') refreshKafka();
  }, 5000);

  function shortMemberId(id) {
    return id.length <= 15 ? id : id.slice(0, 14) + '\u2026';
  }

  function renderKafka() {
    const k = state.kafka;
    if (!k || !k.partitions) {
      $('kafkaSummary').textContent = !k
        ? 'Asking the server…'
        : k.kafka
          ? 'No consumer reads the topic now (the job is starting or being replaced).'
          : 'The source is the built-in generator: there is no topic or consumer group to show. With [source] type = "kafka", this page shows the topic\'s partitions and the group\'s members as the broker describes them.';
      const empty = k && !k.kafka ? 'No Kafka source.' : 'Nothing described yet.';
      fillTable($('kafkaPartitionTable'), [], empty);
      fillTable($('kafkaMemberTable'), [], empty);
      return;
    }
    const brokers = k.brokers.map((b) => b.id + ' (' + b.host + ':' + b.port + ')').join(', ') || '-';
    let summary = 'Topic ' + k.topic + ': ' + Math.max(k.partitions.length, k.topicPartitions || 0) + ' partitions, brokers ' + brokers + '. ';
    if (k.topicPartitions > k.partitions.length) summary += 'This job reads the first ' + k.partitions.length + '; a restart reads the others. ';
    summary += k.groupState
      ? 'Group ' + k.group + ': ' + k.groupState + ', members: ' + k.members.length + ' (' + (k.assignor || '-') + '), coordinator broker ' + (k.coordinator ?? '-') + '.'
      : 'Group ' + k.group + ': not described yet.';
    if (k.refreshedAtMs) summary += ' Described at ' + formatTimestamp(k.refreshedAtMs) + '.';
    if (k.error) summary += ' The last description failed: ' + k.error + ' (the figures are older).';
    $('kafkaSummary').textContent = summary;
    const members = new Map(k.members.map((m) => [m.memberId, m]));
    const offset = (o) => (o == null ? '-' : formatCount(o));
    fillTable(
      $('kafkaPartitionTable'),
      k.partitions.map((p) => {
        const owner = p.owner != null ? members.get(p.owner) : null;
        const described = p.replicas.length > 0; // the metadata has named the partition's replicas
        const leaderless = p.leader == null && described;
        const underReplicated = p.inSync.length < p.replicas.length;
        const orphaned = p.owner == null && k.members.length > 0;
        const known = p.logStartOffset != null && p.logEndOffset != null;
        const committed = p.groupOffset != null && p.logEndOffset != null;
        return {
          cells: [p.partition, p.leader != null ? p.leader : described ? 'none' : '-', p.replicas.join(', '), p.inSync.join(', '), offset(p.logStartOffset), offset(p.logEndOffset), known ? formatCount(p.logEndOffset - p.logStartOffset) : '-', offset(p.groupOffset), committed ? formatCount(Math.max(0, p.logEndOffset - p.groupOffset)) : '-', owner ? shortMemberId(owner.memberId) + (owner.self ? ' (this process)' : '') : '-'],
          highlight: leaderless || underReplicated || orphaned,
          title: leaderless ? 'No leader: nobody serves this partition' : underReplicated ? 'Under-replicated: fewer in-sync replicas than replicas' : orphaned ? 'No member of the group is assigned this partition' : p.owner || '',
        };
      }),
      'No partitions.'
    );
    fillTable(
      $('kafkaMemberTable'),
      k.members.map((m) => ({
        cells: [shortMemberId(m.memberId) + (m.self ? ' (this process)' : ''), m.clientId, m.host, m.instanceId || '-', m.partitions.join(', ')],
        title: m.memberId,
      })),
      'No members: nobody in the group consumes now.'
    );
  }

  // This run's letters every 2 s; the sink's stored ones (a file read on the server) every 10 s.
  let storedReadAt = 0;
  async function refreshDeadLetters() {
    if (!state.session) return;
    const reason = $('dlReason').value;
    const stored = $('dlScope').value;
    if (stored) storedReadAt = Date.now();
    const r = await api('GET', '/api/v1/dead-letters?limit=200' + (reason ? '&reason=' + encodeURIComponent(reason) : '') + (stored ? '&stored=1' : ''));
    if (!r.ok || !r.data || $('dlReason').value !== reason || $('dlScope').value !== stored) return;
    state.deadLetters = r.data;
    if (state.page === 'deadletters') RENDER.deadletters();
  }
  setInterval(() => {
    if (state.session && state.page === 'deadletters' && (!$('dlScope').value || Date.now() - storedReadAt >= 10000)) refreshDeadLetters();
  }, 2000);

  async function refreshAudit() {
    if (!state.session) return;
    const r = await api('GET', '/api/v1/audit?limit=200');
    if (!r.ok || !r.data) return;
    state.audit = r.data.entries || []; // newest first: id, atMs, user, source, action, parameters, outcome, detail
    if (state.page === 'audit') RENDER.audit();
  }
  setInterval(() => {
    if (state.session && state.page === 'audit') refreshAudit();
  }, 5000);

  // ------------------------------------------------------------------------------------------
  // Start

  function init() {
    $('loginForm').addEventListener('submit', (event) => {
      event.preventDefault();
      const token = $('tokenInput').value.trim();
      $('tokenInput').value = '';
      if (token) login(token);
    });
    $('logoutButton').addEventListener('click', logout);
    $('dlReason').addEventListener('change', refreshDeadLetters);
    $('dlScope').addEventListener('change', () => {
      state.deadLetterPicked = null; // a row id of the table is not a sequence of this run
      state.deadLetters = null; // nothing of the other scope stays on screen to be picked
      fillTable($('dlTable'), [], 'Reading…');
      refreshDeadLetters();
    });
    for (const [id, hex] of [
      ['dlShowText', false],
      ['dlShowHex', true],
    ])
      $(id).addEventListener('click', () => {
        state.deadLetterHex = hex;
        RENDER.deadletters();
      });
    $('watchForm').addEventListener('submit', (event) => {
      event.preventDefault();
      const post = $('watchPost').value.trim();
      if (/^\d{1,20}$/.test(post)) window.location.hash = '#windows/post/' + post;
    });
    window.addEventListener('hashchange', () => {
      const token = takeFragmentToken();
      if (token) login(token);
      else route();
    });
    window.addEventListener('keydown', (event) => {
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.key >= '0' && event.key <= '9') {
        window.location.hash = '#' + PAGES[(Number(event.key) + 9) % 10]; // Alt+1 ... Alt+9, Alt+0
        event.preventDefault();
      }
    });
    if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', drawCharts);
    const token = takeFragmentToken();
    if (token) login(token);
    else resumeSession();
  }

  // For the browser tests and the curious: read-only views and the same action path the buttons use.
  window.tally = {
    state,
    postAction,
    requestAction,
    normalise,
    pages: PAGES,
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
