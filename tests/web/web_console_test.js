// Browser test of the web console: a real `tally --headless` serving the console, Debian's
// chromium driven by playwright-core. Checks that every page shows live data (figures change,
// charts are drawn), that the toolbar is the server's action catalogue, that an operator's savepoint
// shows up in the audit log under their name, that a rescale outside the catalogue's range is
// refused with its message, that a restore continues from the savepoint picked in its dialog (and
// a file not on the list is refused), that a viewer's actions are disabled and a forced POST is refused
// (403) and shown, and that two browsers watch different posts on the Windows page.
// Writes a screenshot of every page into TALLY_WEB_SCREENSHOT_DIR.
//
// Environment: TALLY_BINARY (the tally executable), TALLY_WEB_NPM_PREFIX (the folder holding
// node_modules with playwright-core), TALLY_CHROMIUM (chromium executable, default
// /usr/bin/chromium), TALLY_WEB_SCREENSHOT_DIR (default ./screenshots), TALLY_WEB_SCREENSHOT_WARMUP
// (seconds the job runs before the page tour, for screenshots with a longer history; default 0).
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { createRequire } = require('node:module');

const prefix = process.env.TALLY_WEB_NPM_PREFIX || __dirname;
const { chromium } = createRequire(path.join(prefix, 'package.json'))('playwright-core');

const TALLY = process.env.TALLY_BINARY;
const CHROMIUM = process.env.TALLY_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.TALLY_WEB_SCREENSHOT_DIR || path.resolve('screenshots');
const PAGES = ['overview', 'lag', 'watermarks', 'checkpoints', 'backpressure', 'sinks', 'windows', 'alerts', 'audit', 'deadletters', 'kafka'];
const VIEWPORT = { width: 1400, height: 900 };

const started = Date.now();
function log(...args) {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s]`, ...args);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');

// Polls `fn` until it returns a truthy value; fails with `what` after `timeoutMs`.
async function until(what, fn, timeoutMs = 20000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The real tally

// withTokens: a token file with an operator and a viewer; without, tally makes a one-time token.
function startTally(dir, withTokens = true) {
  const operatorToken = crypto.randomBytes(24).toString('base64url');
  const viewerToken = crypto.randomBytes(24).toString('base64url');
  const tokens = path.join(dir, 'web-tokens');
  fs.writeFileSync(tokens, `# role user sha256(token)\noperator alice ${sha256(operatorToken)}\nviewer victor ${sha256(viewerToken)}\n`, { mode: 0o600 });
  // Checkpoints on (the Checkpoints page has a history), a divert buffer (divert is available),
  // event time from 10 minutes ago at 4x the wall clock, so that one-minute windows fire every
  // 15 s and the watermark catches up with the clock as the test runs; fewer posts and users than
  // the demo keep the state, and so the synchronous checkpoint copies, small on a busy machine.
  const config = path.join(dir, 'tally.toml');
  fs.writeFileSync(
    config,
    [
      '[source.generator]',
      'events_per_second = 20000.0',
      'event_time_rate = 5000.0',
      `start_time_ms = ${Date.now() - 10 * 60 * 1000}`,
      'posts = 20000',
      'users = 100000',
      // Wire records, one in a thousand corrupted: the Dead letters page has records to browse.
      'serialized = true',
      'malformed_fraction = 0.001',
      '[checkpoint]',
      'enabled = true',
      'interval_ms = 2000',
      `dir = "${path.join(dir, 'checkpoints')}"`,
      `savepoint_dir = "${path.join(dir, 'savepoints')}"`,
      '[output]',
      `divert_path = "${path.join(dir, 'divert.bin')}"`,
      '',
    ].join('\n')
  );
  const args = ['--headless', '--web-port', '0', ...(withTokens ? ['--web-tokens', tokens] : []), '--config', config, '--db', path.join(dir, 'tally.db'), '--audit-log', path.join(dir, 'audit.db')];
  log('starting', TALLY, args.join(' '));
  // English messages (the test reads reasons the server sends) whatever the machine's locale.
  const env = { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', LANGUAGE: '' };
  // Without tokens tally runs on a terminal (script(1) gives it one), as someone trying it out
  // does: only there does the one-time token go into the printed address. On a pipe it goes to a
  // file only its user reads (tst_web_security, tst_kafka_lag).
  const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;
  const child = withTokens
    ? spawn(TALLY, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn('script', ['-qfec', [TALLY, ...args].map(quote).join(' '), '/dev/null'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  let url = null;
  const urlReady = new Promise((resolve, reject) => {
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        output.push(line);
        const m = /web console: (http:\/\/\S+)/.exec(line);
        if (m && !url) {
          url = m[1];
          resolve(url);
        }
      }
    });
    child.stderr.on('data', (chunk) => output.push(String(chunk).trimEnd()));
    child.on('exit', (code, signal) => reject(new Error(`tally exited (${code ?? signal}) before printing the console's address:\n${output.slice(-30).join('\n')}`)));
    setTimeout(() => reject(new Error(`no "web console:" line within 30 s:\n${output.slice(-30).join('\n')}`)), 30000).unref();
  });
  return { child, urlReady, operatorToken, viewerToken, output };
}

async function stopTally(t) {
  if (t.child.exitCode !== null || t.child.signalCode !== null) return;
  const begin = Date.now();
  const exited = new Promise((r) => t.child.once('exit', r));
  t.child.kill('SIGTERM');
  const timer = setTimeout(() => t.child.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(timer);
  log(`tally stopped in ${Date.now() - begin} ms (${t.child.exitCode ?? t.child.signalCode})`);
}

// ---------------------------------------------------------------------------------------------
// Page helpers

let serverStopped = false; // failed requests after tally was stopped on purpose are expected

function watchPage(page, problems, who) {
  page.on('pageerror', (e) => problems.push(`${who}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error' || serverStopped) return;
    const text = m.text();
    // The refused actions of this test are expected HTTP errors; the browser logs them.
    if (/status of (400|401|403|409)/.test(text)) return;
    problems.push(`${who}: console error: ${text}`);
  });
}

async function showPage(page, name) {
  await page.click(`#nav a[data-page="${name}"]`);
  await page.waitForSelector(`#page-${name}:not([hidden])`);
}

// The text a person reads on the page (tables, summaries), without the charts.
async function pageText(page, name) {
  return page.$eval(`#page-${name}`, (el) => el.innerText);
}

// Every chart of the page: its title and how many points it drew, and whether its canvas has
// more than background (lines, not only axes).
async function chartState(page, name) {
  return page.$$eval(`#page-${name} .chart-box canvas`, (canvases) =>
    canvases.map((c) => {
      const g = c.getContext('2d');
      const { data } = g.getImageData(0, 0, c.width, c.height);
      const colours = new Set();
      for (let i = 0; i < data.length; i += 4 * 7) if (data[i + 3] > 0) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      return { label: c.getAttribute('aria-label'), points: Number(c.dataset.points || 0), colours: colours.size, width: c.width };
    })
  );
}

// ---------------------------------------------------------------------------------------------

async function main() {
  assert.ok(TALLY && fs.existsSync(TALLY), 'TALLY_BINARY must name the tally executable');
  fs.mkdirSync(SHOTS, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-web-'));
  const tally = startTally(dir);
  const problems = [];
  let browser;
  try {
    const base = await tally.urlReady;
    log('console at', base);
    assert.ok(!base.includes('#token='), 'with a token file, tally prints no one-time token');

    const executable = fs.existsSync('/usr/lib/chromium/chromium') && CHROMIUM === '/usr/bin/chromium' ? '/usr/lib/chromium/chromium' : CHROMIUM;
    browser = await chromium.launch({
      executablePath: executable,
      headless: true,
      args: process.getuid && process.getuid() === 0 ? ['--no-sandbox'] : [],
    });
    log('browser', browser.version());

    // --- operator: logs in with the one-time fragment, which leaves the address bar at once ---
    const operator = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light' });
    const page = await operator.newPage();
    watchPage(page, problems, 'operator');
    const posts = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/api/v1/actions/')) posts.push(r.url());
    });
    await page.goto(`${base}#token=${tally.operatorToken}`);
    await page.waitForSelector('#userName:has-text("alice")', { timeout: 15000 });
    assert.equal(await page.textContent('#userRole'), 'operator');
    assert.ok(!page.url().includes('token'), `the token left the address bar: ${page.url()}`);
    await page.waitForSelector('#connState[data-state="live"]', { timeout: 15000 });
    log('operator alice logged in; live connection up');
    await until('the first snapshot', async () => (await page.textContent('#jobState')) === 'running');

    // --- the toolbar is the action catalogue: one button per action, in its order, its labels ---
    const catalogue = await page.evaluate(async () => (await (await fetch('/api/v1/actions', { cache: 'no-store' })).json()).actions);
    assert.ok(catalogue.length >= 9, 'the catalogue lists every action');
    await until('the toolbar built from the catalogue', async () => (await page.$$('#toolbar button[data-action]')).length === catalogue.length);
    const toolbar = await page.$$eval('#toolbar button[data-action]', (bs) => bs.map((b) => ({ action: b.dataset.action, text: b.textContent })));
    assert.deepEqual(toolbar.map((b) => b.action), catalogue.map((a) => a.name), 'the toolbar follows the catalogue\'s order');
    for (const [i, a] of catalogue.entries()) {
      const asks = !!a.confirmation || a.parameters.length > 0;
      assert.equal(toolbar[i].text, a.label + (asks ? '…' : ''), `${a.name}: the catalogue's label`);
    }
    const rescaleSpec = catalogue.find((a) => a.name === 'rescale');
    assert.equal(rescaleSpec.parameters[0].name, 'parallelism');
    log('toolbar from the catalogue:', toolbar.map((b) => b.text).join(' | '));
    // Longer chart history for screenshots meant for the docs (default: none).
    const warmup = Number(process.env.TALLY_WEB_SCREENSHOT_WARMUP || 0);
    if (warmup > 0) {
      log(`letting the job run ${warmup} s before the page tour`);
      await sleep(warmup * 1000);
    }

    // --- every page: live figures change, charts are drawn, a screenshot ---
    for (const name of PAGES) {
      await showPage(page, name);
      await page.waitForTimeout(300);
      const before = await pageText(page, name);
      // The generator has no topic: the Kafka page says so (tst_kafka_topic_view checks a real one).
      if (name === 'kafka') {
        assert.deepEqual(await page.evaluate(async () => (await (await fetch('/api/v1/kafka', { cache: 'no-store' })).json())), { kafka: false });
        await until('the Kafka page\'s note', async () => (await page.textContent('#kafkaSummary')).includes('the built-in generator'));
      } else if (name !== 'audit') {
        // Windows change when a window fires (every 15 s of wall time here).
        await until(`live figures on the ${name} page`, async () => (await pageText(page, name)) !== before, name === 'windows' ? 45000 : 30000);
      }
      const charts = await until(
        `charts drawn on the ${name} page`,
        async () => {
          const state = await chartState(page, name);
          // The generator has no consumer lag: that chart says so instead of drawing.
          const expected = state.filter((c) => !(name === 'lag' && /lag/i.test(c.label)));
          return expected.every((c) => c.points > 1 && c.colours > 3 && c.width > 0) ? state : null;
        },
        name === 'windows' ? 45000 : 30000
      );
      if (name === 'backpressure') {
        // The operator graph has one column per kind the server reports, in pipeline order, then the sink.
        const operators = await page.evaluate(async () => (await (await fetch('/api/v1/snapshot', { cache: 'no-store' })).json()).operators);
        const columns = await page.$$eval('#operatorGraph .op-col', (cols) => cols.map((c) => [...c.querySelectorAll('.op-name')].map((n) => n.textContent)));
        const kinds = [...new Set(operators.map((o) => o.kind))];
        assert.deepEqual(kinds, ['source', 'decode', 'ingest', 'window', 'output'], 'every kind, in pipeline order');
        assert.deepEqual(columns.slice(0, kinds.length), kinds.map((k) => operators.filter((o) => o.kind === k).map((o) => o.name)), 'the graph groups operators by kind');
        assert.equal(columns[kinds.length][0], 'sink: sqlite');
        log(`  operator graph: ${columns.map((c) => c.join(' ')).join(' → ')}`);
      }
      if (name === 'alerts') {
        await page.waitForSelector('#runbook h2', { timeout: 10000 });
        const actions = await page.$$eval('#runbook button.runbook-action', (b) => b.map((x) => x.dataset.action));
        assert.ok(actions.length > 0, 'the runbook\'s action links became buttons');
        assert.equal(await page.$$eval('#runbook script, #runbook [onclick], #runbook a[href^="action:"]', (x) => x.length), 0, 'the runbook is plain DOM, no markup from the server');
        log(`  runbook ${await page.getAttribute('#runbook', 'data-runbook')} rendered with actions: ${actions.join(', ') || 'none'}`);
        // Hostile markdown stays text: no elements from markup, no script links.
        const hostile = await page.evaluate(() => {
          const box = document.createElement('div');
          box.appendChild(window.TallyMarkdown.render('# <img src=x onerror="window.pwned=1">\n\n[click](javascript:window.pwned=1) **<script>window.pwned=1</script>** `<b>`\n\n| a | <svg onload=1> |\n|---|---|\n| [x](data:text/html,hi) | 2 |'));
          return { elements: [...box.querySelectorAll('*')].map((e) => e.tagName.toLowerCase()).sort(), links: box.querySelectorAll('a').length, text: box.textContent, pwned: !!window.pwned };
        });
        for (const tag of hostile.elements) assert.ok(['h2', 'p', 'span', 'strong', 'code', 'table', 'thead', 'tbody', 'tr', 'th', 'td'].includes(tag), `hostile markdown made a <${tag}>`);
        assert.equal(hostile.links, 0, 'javascript: and data: links are not links');
        assert.ok(hostile.text.includes('<img src=x') && hostile.text.includes('<script>'), 'markup stays visible text');
        assert.ok(!hostile.pwned);
      }
      if (name === 'deadletters') {
        // The generator's corrupted records, with their reasons; a picked one's bytes as text and
        // as a hex dump; a reason filter that keeps only that reason.
        const reasons = await until('dead letters of several reasons', async () => {
          const seen = new Set(await page.$$eval('#dlTable tbody tr[data-id]', (rows) => rows.map((r) => r.cells[1].textContent)));
          return seen.size >= 3 ? [...seen] : null;
        }, 30000);
        for (const r of reasons) assert.ok(['malformed', 'missing_field', 'wrong_type', 'invalid_value', 'unknown_schema', 'timestamp_out_of_range', 'oversize'].includes(r), r);
        await page.click('#dlTable tbody tr[data-id]');
        await page.waitForSelector('#dlTable tbody tr.selected');
        await until('the picked record\'s bytes', async () => (await page.textContent('#dlBytes')).length > 0);
        const where = await page.textContent('#dlWhere');
        assert.match(where, /from partition \d+, offset \d+, [\d,.]+ bytes: /);
        await page.click('#dlShowHex');
        assert.match(await page.textContent('#dlBytes'), /^00000000  [0-9a-f]{2} /, 'a hex dump');
        await page.selectOption('#dlReason', 'oversize');
        await until('only oversize records', async () => {
          const shown = await page.$$eval('#dlTable tbody tr[data-id]', (rows) => rows.map((r) => r.cells[1].textContent));
          return shown.length > 0 && shown.every((r) => r === 'oversize');
        });
        log(`  dead letters: reasons ${reasons.join(', ')}; picked: ${where}`);
        await page.click('#dlShowText');
        // Stored: the SQLite sink's dead_letters table, still filtered by the reason.
        await page.selectOption('#dlScope', '1');
        await until('stored oversize records', async () => {
          const shown = await page.$$eval('#dlTable tbody tr[data-id]', (rows) => rows.map((r) => r.cells[1].textContent));
          return shown.length > 0 && shown.every((r) => r === 'oversize') && /stored dead letters/.test(await page.textContent('#dlTotals'));
        });
        log(`  stored: ${await page.textContent('#dlTotals')}`);
        await page.selectOption('#dlScope', '');
        await page.selectOption('#dlReason', '');
      }
      await sleep(name === 'overview' ? 1500 : 500);
      await page.screenshot({ path: path.join(SHOTS, `web-${name}.png`) });
      log(`page ${name}: live; charts ${charts.map((c) => `${c.label}=${c.points}pt`).join(', ') || 'none'}`);
    }

    // --- a destructive action asks first; cancelling sends nothing ---
    await showPage(page, 'overview');
    await until('drain_sink enabled', () => page.isEnabled('#toolbar [data-action="drain_sink"]'));
    await page.click('#toolbar [data-action="drain_sink"]');
    await page.waitForSelector('#confirmDialog[open]');
    await page.click('#confirmCancel');
    await page.waitForSelector('#confirmDialog', { state: 'hidden' });
    await sleep(300);
    assert.equal(posts.length, 0, 'a cancelled confirmation sent no request');
    log('drain_sink: confirmation dialog shown, cancel sent nothing');

    // --- an action the job cannot take now is disabled with the job's reason; pause and resume ---
    assert.ok(await page.isDisabled('#toolbar [data-action="resume_source"]'), 'resume_source is disabled while running');
    assert.equal(await page.getAttribute('#toolbar [data-action="resume_source"]', 'title'), 'The source is not paused.');
    await page.click('#toolbar [data-action="pause_source"]');
    await until('the job paused', async () => (await page.textContent('#jobState')) === 'paused', 15000);
    await until('resume_source enabled', () => page.isEnabled('#toolbar [data-action="resume_source"]'));
    assert.equal(await page.getAttribute('#toolbar [data-action="pause_source"]', 'title'), 'The source is already paused.');
    await page.click('#toolbar [data-action="resume_source"]');
    await until('the job running again', async () => (await page.textContent('#jobState')) === 'running', 15000);
    log('pause_source / resume_source: state paused, then running; the unavailable one said why');

    // --- the operator triggers a savepoint and finds it in the audit log under their name ---
    await until('trigger_savepoint enabled', () => page.isEnabled('#toolbar [data-action="trigger_savepoint"]'));
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/actions/trigger_savepoint')), page.click('#toolbar [data-action="trigger_savepoint"]')]);
    assert.equal(response.status(), 202, 'the savepoint was accepted');
    const outcome = await until('the savepoint outcome', async () => {
      const t = await page.textContent('#lastOutcome');
      return /trigger_savepoint: done|trigger_savepoint failed/.test(t) ? t : null;
    }, 60000);
    assert.match(outcome, /trigger_savepoint: done/, 'the savepoint succeeded');
    log('savepoint:', outcome);
    await showPage(page, 'audit');
    const row = await until('the savepoint in the audit log', async () =>
      page.$$eval('#auditTable tbody tr', (rows) =>
        rows.map((r) => [...r.cells].map((c) => c.textContent)).find((c) => c[1] === 'alice' && c[3] === 'trigger_savepoint' && /^(ok|done|succeeded)$/.test(c[5]))
      ), 15000);
    assert.equal(row[2], 'web', 'audited as coming from the web console');
    log('audit row:', row.join(' | '));
    await page.screenshot({ path: path.join(SHOTS, 'web-audit.png') });
    // The savepoint is on the Checkpoints page's list of files to continue from, with its command.
    const savepointFile = row[6];
    await showPage(page, 'checkpoints');
    const listed = await until('the savepoint among the files on disk', async () =>
      page.$$eval('#restorePointTable tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)).find((c) => c[0] === 'savepoint')), 15000);
    assert.equal(listed[4], 'tally --restore ' + savepointFile, 'the command names the savepoint');
    log('on disk:', listed.join(' | '));

    // --- rescale: the dialog takes the parallelism, and the job continues at it ---
    await showPage(page, 'overview');
    await until('rescale enabled', () => page.isEnabled('#toolbar [data-action="rescale"]'));
    await page.click('#toolbar [data-action="rescale"]');
    await page.waitForSelector('#confirmDialog[open] #parallelismInput');
    await page.fill('#parallelismInput', '3');
    await page.dispatchEvent('#parallelismInput', 'change');
    // The dialog says what the rescale will do and what it checks first.
    await until('the rescale\'s dry run for 3 tasks', async () => /starts 3 window tasks/.test(await page.textContent('#confirmPlan')), 15000);
    assert.match(await page.textContent('#confirmChecks'), /parallelism_in_bounds, folders_writable, savepoint_space/);
    log('rescale dry run:', await page.textContent('#confirmPlan'), '|', await page.textContent('#confirmChecks'));
    await page.screenshot({ path: path.join(SHOTS, 'web-rescale-dry-run.png') });
    const [rescale] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/actions/rescale')), page.click('#confirmOk')]);
    assert.equal(rescale.status(), 202, 'the rescale was accepted');
    assert.deepEqual(JSON.parse(rescale.request().postData()), { parallelism: 3 });
    assert.ok(rescale.request().headers()['x-tally-csrf'], 'the POST carries the CSRF header');
    await until('the rescale outcome', async () => /rescale: done/.test(await page.textContent('#lastOutcome')), 60000);
    await until('parallelism 3 in the header', async () => (await page.textContent('#sbParallelism')) === '3', 15000);
    // Then its verification: the new job reads events again.
    await until('the rescale verified', async () => /rescale: done, verified: the new job reads/.test(await page.textContent('#lastOutcome')), 60000);
    const rescaleRows = await page.evaluate(async () => (await (await fetch('/api/v1/audit?limit=10', { cache: 'no-store' })).json()).entries);
    const rescaleOutcomes = rescaleRows.filter((e) => e.action === 'rescale').map((e) => e.outcome);
    assert.deepEqual(rescaleOutcomes.slice(0, 4), ['verified', 'ok', 'checked', 'started'], 'the audit log has the checks, the outcome and the verification');
    log('rescale to 3:', await page.textContent('#lastOutcome'));

    // --- outside the catalogue's range: the dialog's bounds are the catalogue's, the server
    // refuses with the catalogue's message, and the audit log keeps the refusal ---
    await until('rescale enabled again', () => page.isEnabled('#toolbar [data-action="rescale"]'), 30000);
    await page.click('#toolbar [data-action="rescale"]');
    await page.waitForSelector('#confirmDialog[open] #parallelismInput');
    const p = rescaleSpec.parameters[0];
    assert.equal(await page.getAttribute('#parallelismInput', 'min'), String(p.minimum));
    assert.equal(await page.getAttribute('#parallelismInput', 'max'), String(p.maximum));
    assert.equal(await page.inputValue('#parallelismInput'), '3', 'the dialog starts at the job\'s parallelism');
    await page.fill('#parallelismInput', String(p.maximum + 1));
    const [tooMany] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/actions/rescale')), page.click('#confirmOk')]);
    assert.equal(tooMany.status(), 400, 'a parallelism over the maximum is refused');
    const rangeMessage = `parallelism must be an integer from ${p.minimum} to ${p.maximum}`;
    assert.equal((await tooMany.json()).error, rangeMessage);
    await page.waitForSelector(`#lastOutcome:has-text("${rangeMessage}")`);
    const refusedRescale = await page.evaluate(async () => (await (await fetch('/api/v1/audit?limit=1', { cache: 'no-store' })).json()).entries[0]);
    assert.deepEqual([refusedRescale.action, refusedRescale.outcome, refusedRescale.detail], ['rescale', 'refused', rangeMessage]);
    // The dry run refuses what the action would, and knows only the catalogue's actions (asked
    // outside the page, with its session cookie: a 4xx in the page counts as a console error).
    const bad = await page.context().request.get(new URL(`/api/v1/actions/rescale/plan?parallelism=${p.maximum + 1}`, base).href);
    const unknown = await page.context().request.get(new URL('/api/v1/actions/no_such_action/plan', base).href);
    assert.deepEqual([bad.status(), (await bad.json()).error, unknown.status()], [400, rangeMessage, 404]);
    assert.equal(await page.textContent('#sbParallelism'), '3', 'nothing ran');
    log('rescale to', p.maximum + 1, 'refused:', await page.textContent('#lastOutcome'));

    // --- restore: the dialog offers the files on disk; the job continues from the one picked
    // (at the parallelism it runs at), and a file not on the list is refused ---
    await until('restore enabled', () => page.isEnabled('#toolbar [data-action="restore"]'), 30000);
    await page.click('#toolbar [data-action="restore"]');
    await page.waitForSelector('#confirmDialog[open] #fromInput');
    const offered = await page.$$eval('#fromInput option', (options) => options.map((o) => o.value));
    assert.ok(offered.includes(savepointFile), `the dialog offers the savepoint taken above: ${offered.join(', ')}`);
    await page.selectOption('#fromInput', savepointFile);
    const [restore] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/actions/restore')), page.click('#confirmOk')]);
    assert.equal(restore.status(), 202, 'the restore was accepted');
    assert.deepEqual(JSON.parse(restore.request().postData()), { from: savepointFile });
    await until('the restore outcome', async () => /restore: done/.test(await page.textContent('#lastOutcome')), 60000);
    const restored = await page.evaluate(async () =>
      (await (await fetch('/api/v1/audit?limit=5', { cache: 'no-store' })).json()).entries.find((e) => e.action === 'restore' && e.outcome !== 'verified' && e.outcome !== 'not verified'));
    assert.deepEqual([restored.action, restored.outcome], ['restore', 'ok']);
    assert.ok(restored.detail.startsWith('continued from ' + savepointFile), restored.detail);
    assert.equal(await page.textContent('#sbParallelism'), '3', 'a restore keeps the parallelism');
    const elsewhere = await page.evaluate(async () => {
      const session = await (await fetch('/api/v1/session', { cache: 'no-store' })).json();
      const r = await fetch('/api/v1/actions/restore', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Tally-CSRF': session.csrf }, body: JSON.stringify({ from: '/etc/passwd' }) });
      return { status: r.status, body: await r.json() };
    });
    assert.equal(elsewhere.status, 400, 'a file not on the list is refused');
    assert.match(elsewhere.body.error, /^\/etc\/passwd is not a checkpoint or savepoint in this job's folders/);
    log('restore:', await page.textContent('#lastOutcome'), '| /etc/passwd:', elsewhere.status, elsewhere.body.error || '');

    // --- a viewer logs in with the form: every action disabled, a forced POST refused ---
    const viewerContext = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'dark' });
    const viewer = await viewerContext.newPage();
    watchPage(viewer, problems, 'viewer');
    await viewer.goto(base);
    await viewer.waitForSelector('#loginForm', { state: 'visible' });
    await viewer.fill('#tokenInput', 'not-a-token');
    await viewer.click('#loginButton');
    await viewer.waitForSelector('#loginError:has-text("not accepted")');
    await viewer.fill('#tokenInput', tally.viewerToken);
    await viewer.click('#loginButton');
    await viewer.waitForSelector('#userName:has-text("victor")', { timeout: 15000 });
    assert.equal(await viewer.textContent('#userRole'), 'viewer');
    await until('the viewer\'s snapshot', async () => (await viewer.textContent('#jobState')) === 'running');
    const buttons = await viewer.$$eval('#toolbar button[data-action]', (bs) => bs.map((b) => ({ action: b.dataset.action, disabled: b.disabled, title: b.title })));
    assert.equal(buttons.length, catalogue.length);
    for (const b of buttons) {
      assert.ok(b.disabled, `${b.action} is disabled for a viewer`);
      assert.match(b.title, /viewer/, `${b.action} says why`);
    }
    log('viewer victor: all 9 action buttons disabled:', buttons[0].title);
    await viewer.screenshot({ path: path.join(SHOTS, 'web-viewer-dark.png') });
    // Force the button: enable and click it in one task, before the next snapshot disables it again.
    const [refused] = await Promise.all([
      viewer.waitForResponse((r) => r.url().endsWith('/api/v1/actions/trigger_savepoint')),
      viewer.$eval('#toolbar [data-action="trigger_savepoint"]', (b) => {
        b.disabled = false;
        b.click();
      }),
    ]);
    assert.equal(refused.status(), 403, 'the server refuses a viewer');
    await viewer.waitForSelector('#lastOutcome:has-text("refused (403)")');
    log('viewer forced POST:', refused.status(), await viewer.textContent('#lastOutcome'));
    // Each view watches its own post: the operator and the viewer pick the two leading posts (the
    // likeliest to have likes in every window), and each page's chart draws the windows of its
    // own post, not the other's. (The job the restore started shows windows once one has fired.)
    const leaders = await until('likes_per_post leaders', async () => {
      const found = await page.evaluate(async () => {
        const r = await fetch('/api/v1/snapshot', { credentials: 'same-origin' });
        const s = await r.json();
        const w = s.windows.filter((x) => x.aggregation === 'likes_per_post').sort((a, b) => b.windowStartMs - a.windowStartMs)[0];
        return w ? w.leaders.map((e) => String(e.key)) : [];
      });
      return found.length >= 2 ? found : null;
    }, 45000);
    const watching = [
      [page, leaders[0]],
      [viewer, leaders[1]],
    ];
    for (const [p, post] of watching) {
      await p.evaluate((post) => (window.location.hash = '#windows/post/' + post), post);
      await p.waitForSelector(`#watchState:has-text("Watching post ${post} on this page")`);
    }
    for (const [p, post] of watching) {
      const other = watching.find((w) => w[1] !== post)[1];
      const series = await until(`post ${post}'s windows on its page's chart`, async () => {
        const s = await p.$eval('#page-windows canvas', (c) => c.dataset.series || '');
        const [label, points] = s.split('|')[0].split('=');
        return label === `post ${post} (watched)` && Number(points) > 0 ? s : null;
      }, 90000); // a window fires every 15 s here; a loaded machine may take several
      assert.ok(!series.includes(`post ${other} (watched)`), 'a page draws only its own watched post');
      const answer = await p.evaluate(async (post) => (await fetch(`/api/v1/posts/${post}/windows`, { credentials: 'same-origin' })).json(), post);
      assert.equal(answer.post, post);
      assert.ok(answer.windows.length > 0, `the server keeps post ${post}'s windows`);
      log(`watching post ${post}: ${answer.windows.length} window(s); chart series ${series}`);
    }
    await page.evaluate(() => (window.location.hash = '#windows/leader'));
    await page.waitForSelector('#watchState:has-text("Following the leading post")');

    // Viewers read the audit log, where the server wrote the refusal under their name.
    await showPage(viewer, 'audit');
    const refusal = await until('the refusal in the audit log', async () =>
      viewer.$$eval('#auditTable tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)).find((c) => c[1] === 'victor' && c[3] === 'trigger_savepoint' && c[5] === 'refused')), 15000);
    log('audit row:', refusal.join(' | '));

    // --- the server goes away: the page says so instead of showing old figures as live ---
    serverStopped = true;
    await stopTally(tally);
    await viewer.waitForSelector('#connState[data-state="offline"]', { timeout: 15000 });
    log('after tally stopped, the page shows:', await viewer.textContent('#connState'));
    serverStopped = false;
    await viewerContext.close();
    await operator.close();

    // --- no token file, on a terminal: tally prints a one-time token in the fragment; opening it logs in ---
    const oneTimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tally-web-'));
    const oneTime = startTally(oneTimeDir, false);
    try {
      const address = await oneTime.urlReady;
      assert.match(address, /^http:\/\/127\.0\.0\.1:\d+\/#token=[^&\s]+$/, 'the one-time address carries its token in the fragment');
      const context = await browser.newContext({ viewport: VIEWPORT });
      const local = await context.newPage();
      watchPage(local, problems, 'one-time');
      const requests = [];
      local.on('request', (r) => requests.push(r.url()));
      await local.goto(address);
      await local.waitForSelector('#userName:has-text("local")', { timeout: 15000 });
      assert.equal(await local.textContent('#userRole'), 'operator');
      assert.ok(!local.url().includes('token'), `the token left the address bar: ${local.url()}`);
      assert.ok(!requests.some((u) => u.includes('token=')), 'the token never went into a request URL');
      await local.waitForSelector('#connState[data-state="live"]', { timeout: 15000 });
      log('one-time token: logged in as local (operator), address bar now', local.url());
      await context.close();
    } finally {
      await stopTally(oneTime);
      fs.rmSync(oneTimeDir, { recursive: true, force: true });
    }

    assert.deepEqual(problems, [], 'no page errors, console errors or CSP violations');
    log('PASS');
  } catch (e) {
    if (problems.length) log('page problems:\n' + problems.join('\n'));
    log('tally output (last lines):\n' + tally.output.slice(-20).join('\n'));
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopTally(tally);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error('FAIL:', e && e.stack ? e.stack : e);
  process.exitCode = 1;
});
