// web.mjs - ork's web page in headless Chromium, as a person uses it.
//
// Run by tests/integration/web_test.c, which starts PostgreSQL's test
// database, ork-orchestrator, ork-worker and ork-api first. Each step
// writes one line to stdout, in order:
//
//   ok - NAME
//   not ok - NAME - WHY
//
// and web_test.c turns each into a test of its own. Diagnostics go to
// stderr. Environment:
//
//   ORK_WEB_URL        ork-api's base URL (http://127.0.0.1:PORT)
//   ORK_WEB_USER, ORK_WEB_PASSWORD   an admin's credentials
//   ORK_TEST_OUT       where screenshots and data files go
//   ORK_PLAYWRIGHT     playwright-core's folder (.deps/playwright-core)
//   ORK_CHROMIUM       the browser (default /usr/bin/chromium)

import { writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const base = need('ORK_WEB_URL');
const user = need('ORK_WEB_USER');
const password = need('ORK_WEB_PASSWORD');
const out = need('ORK_TEST_OUT');
const pwDir = need('ORK_PLAYWRIGHT');
const chromium = process.env.ORK_CHROMIUM || '/usr/bin/chromium';
const origin = new URL(base).origin;
const jobName = `web test ${Date.now()}`;
const failName = `broken ${Date.now()}`;
const slowName = `slow ${Date.now()}`;
const TIMEOUT = 20000;

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`web.mjs: ${name} is not set`);
    process.exit(2);
  }
  return v;
}

function diag(msg) {
  process.stderr.write(`# ${msg}\n`);
}

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

// api calls the REST API directly, as another client would.
async function api(method, path, token, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    return { status: -1, json: null, text: String(e) };
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

// waitFor polls fn until it returns a truthy value.
async function waitFor(what, fn, timeout = TIMEOUT) {
  const until = Date.now() + timeout;
  let last;
  while (Date.now() < until) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeout} ms (last: ${JSON.stringify(last)})`);
}

// noHorizontalScroll: the page body is not wider than the viewport.
async function noHorizontalScroll(page, where) {
  const m = await page.evaluate(() => ({
    doc: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    view: document.documentElement.clientWidth,
  }));
  check(m.doc <= m.view && m.body <= m.view,
    `${where}: the page is ${Math.max(m.doc, m.body)} px wide in a ${m.view} px viewport`);
}

async function shot(page, name) {
  const path = join(out, name);
  await page.screenshot({ path, fullPage: true });
  check(statSync(path).size > 1000, `${path} is nearly empty`);
  diag(`screenshot ${path}`);
}

const ctx = {
  browser: null, page: null, requests: [], consoleErrors: [], pageErrors: [],
  expected401: 0, adminToken: null, lastEventIds: [], restarting: false, refusedWhileRestarting: 0, jobId: null, runId: null, runId2: null,
};

const steps = [
  ['the browser starts', async () => {
    const { chromium: pw } = await import(pathToFileURL(join(pwDir, 'index.mjs')).href);
    ctx.browser = await pw.launch({
      executablePath: chromium,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('request', (r) => {
      ctx.requests.push(r.url());
      const last = r.headers()['last-event-id'];
      if (r.url().endsWith('/events') && last) ctx.lastEventIds.push(last);
    });
    page.on('console', (m) => {
      if (m.type() !== 'error') return;
      // the event stream's reconnection attempts while ork-api restarts
      if (ctx.restarting && /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET/.test(m.text()) &&
          (m.location().url || '').endsWith('/events')) {
        ctx.refusedWhileRestarting++;
        return;
      }
      ctx.consoleErrors.push(`${m.text()} (${m.location().url || 'no url'})`);
    });
    page.on('pageerror', (e) => ctx.pageErrors.push(String(e)));
    ctx.page = page;
  }],

  ['the sign-in form comes first', async () => {
    const { page } = ctx;
    const res = await page.goto(base + '/');
    check(res.status() === 200, `GET / answered ${res.status()}`);
    const csp = res.headers()['content-security-policy'] || '';
    check(csp.includes("default-src 'self'"), `Content-Security-Policy is "${csp}"`);
    await page.getByRole('heading', { name: 'Sign in to ork' }).waitFor();
    check(await page.getByLabel('Username').isVisible(), 'no Username field with a label');
    check(await page.getByLabel('Password').isVisible(), 'no Password field with a label');
    const stored = await page.evaluate(() => sessionStorage.getItem('ork.token'));
    check(stored === null, 'a token is stored before signing in');
  }],

  ['a wrong password is refused', async () => {
    const { page } = ctx;
    await page.getByLabel('Username').fill(user);
    await page.getByLabel('Password').fill('not-the-password');
    ctx.expected401++;
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitFor('the error message', async () =>
      (await page.locator('#login-error').textContent()).includes('Wrong username or password'));
  }],

  ['sign in with the keyboard', async () => {
    const { page } = ctx;
    await page.getByLabel('Username').fill('');
    await page.getByLabel('Password').fill('');
    await page.getByLabel('Username').focus();
    await page.keyboard.type(user);
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.id) === 'password', 'Tab does not lead to the password');
    await page.keyboard.type(password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
    const stored = await page.evaluate(() => sessionStorage.getItem('ork.token'));
    check(stored && stored.startsWith('ork_'), 'no token in sessionStorage after signing in');
    await waitFor('the live indicator', async () => (await page.locator('#live').textContent()) === 'Live');
    // the first Tab stop skips to the content, and leaves the address alone
    await page.evaluate(() => {
      document.body.tabIndex = -1;
      document.body.focus();
      document.body.removeAttribute('tabindex');
    });
    await page.keyboard.press('Tab');
    check(await page.evaluate(() => document.activeElement.className) === 'skip', 'the first Tab stop is not the skip link');
    await page.keyboard.press('Enter');
    check(await page.evaluate(() => document.activeElement.id) === 'main', 'the skip link does not reach the content');
    check(new URL(page.url()).hash === '#/', `the skip link changed the address to ${page.url()}`);
    // survives only if the page is never loaded again
    await page.evaluate(() => { window.__ork_web_test = 'same page'; });
  }],

  ['a job created through the API appears', async () => {
    const { page } = ctx;
    const login = await api('POST', '/auth/login', null, { username: user, password });
    check(login.status === 200, `POST /auth/login: ${login.status} ${login.text}`);
    ctx.adminToken = login.json.token;
    const csv = join(out, 'web-orders.csv');
    writeFileSync(csv, 'order_id,amount\n1,10.50\n2,7.25\n3,99.00\n');
    const job = await api('POST', '/jobs', ctx.adminToken, {
      job_name: jobName,
      description: 'made by the browser test',
      schedule: '0 3 * * *',
      tasks: [
        { task_name: 'greet', extractor_config: { type: 'command', argv: ['sh', '-c', 'echo hello from the web test; sleep 2.5; echo bye'] } },
        { task_name: 'orders', extractor_config: { type: 'csv', path: csv },
          loader_config: { type: 'duckdb', db_path: join(out, 'web-orders.duckdb'), table_name: 'orders', mode: 'replace' } },
      ],
    });
    check(job.status === 201, `POST /jobs: ${job.status} ${job.text}`);
    ctx.jobId = job.json.job_id;
    // the Refresh button, reached with the keyboard
    await page.getByRole('button', { name: 'Refresh' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: jobName }).waitFor();
    const row = page.locator(`tr[data-job="${ctx.jobId}"]`);
    check((await row.textContent()).includes('0 3 * * *'), 'the row does not show the schedule');
    check((await row.textContent()).includes('never run'), 'the row does not say the job never ran');
  }],

  ['run now from the jobs list; the run goes to success live', async () => {
    const { page } = ctx;
    const row = page.locator(`tr[data-job="${ctx.jobId}"]`);
    const button = row.getByRole('button', { name: `Run ${jobName} now` });
    // reach the button with Tab, as a keyboard user would
    await page.getByRole('link', { name: jobName }).focus();
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if (await button.evaluate((b) => b === document.activeElement)) break;
    }
    check(await button.evaluate((b) => b === document.activeElement), 'Tab never reached the Run now button');
    const outline = await button.evaluate((b) => getComputedStyle(b).outlineStyle);
    check(outline !== 'none', 'the focused button shows no focus outline');
    const seen = new Set();
    const cell = row.locator('td.last-run');
    await page.keyboard.press('Enter');
    await waitFor('success in the jobs list', async () => {
      const s = await cell.getAttribute('data-status');
      if (s) seen.add(s);
      return s === 'success';
    }, 30000);
    diag(`statuses seen in the jobs list: ${[...seen].join(' -> ')}`);
    check(seen.has('running'), `the run was never shown running (saw ${[...seen].join(', ')})`);
    await waitFor('the announcement', async () =>
      (await page.locator('#announce').textContent()).includes('finished: success'));
    check(await page.evaluate(() => window.__ork_web_test) === 'same page', 'the page was loaded again');
  }],

  ['the run page shows its tasks, attempts, rows and timeline', async () => {
    const { page } = ctx;
    await page.locator(`tr[data-job="${ctx.jobId}"] a.run-link`).click();
    await page.waitForURL(/#\/runs\//);
    ctx.runId = page.url().split('#/runs/')[1];
    await page.getByRole('heading', { name: `Run of ${jobName}` }).waitFor();
    await waitFor('two task rows', async () => (await page.locator('tr[data-task]').count()) === 2);
    const statuses = await page.locator('tr[data-task]').evaluateAll((trs) => trs.map((t) => t.dataset.status));
    check(statuses.join() === 'success,success', `task statuses ${statuses.join()}`);
    const orders = page.locator('tr[data-task]').nth(1);
    const rows = await orders.locator('td[data-label="Rows"]').textContent();
    check(rows.trim() === '3', `the csv task moved "${rows}" rows, want 3`);
    const bars = await page.locator('.timeline .tl-bar').count();
    check(bars === 2, `the timeline has ${bars} bars, want 2`);
    const attempt = await orders.locator('td[data-label="Attempt"]').textContent();
    check(attempt.includes('1 of 3'), `attempt cell "${attempt}"`);
  }],

  ['task logs open and show the output', async () => {
    const { page } = ctx;
    const toggle = page.getByRole('button', { name: 'Attempts and logs of greet' });
    check(await toggle.getAttribute('aria-expanded') === 'false', 'the logs start open');
    await toggle.click();
    check(await toggle.getAttribute('aria-expanded') === 'true', 'aria-expanded did not change');
    const panel = page.locator(`#${await toggle.getAttribute('aria-controls')}`);
    await waitFor('the log lines', async () =>
      (await panel.locator('ol.log').textContent()).includes('hello from the web test'));
    check((await panel.locator('ol.log').textContent()).includes('bye'), 'the last line is missing');
    await waitFor('the attempts table', async () =>
      (await panel.locator('.attempts-table tbody tr').count()) === 1);
    await shot(page, 'web-run.png');
  }],

  ['the job page charts runs and follows a new run live', async () => {
    const { page } = ctx;
    await page.getByRole('link', { name: jobName }).click();
    await page.getByRole('heading', { name: jobName, level: 1 }).waitFor();
    await waitFor('one bar', async () => (await page.locator('svg.chart rect.bar').count()) === 1);
    await page.getByRole('button', { name: `Run ${jobName} now` }).click();
    await waitFor('two runs in the history', async () => (await page.locator('table.runs tbody tr').count()) === 2);
    // open the new run while it runs: its page must follow it to the end
    await page.locator('table.runs tbody tr').first().getByRole('link').click();
    await page.waitForURL(/#\/runs\//);
    ctx.runId2 = page.url().split('#/runs/')[1];
    check(ctx.runId2 !== ctx.runId, 'the newest run is the first one');
    const toggle = page.getByRole('button', { name: 'Attempts and logs of greet' });
    await toggle.click();
    const seen = new Set();
    await waitFor('the run to succeed on its page', async () => {
      const s = await page.locator('tr[data-task]').evaluateAll((trs) => trs.map((t) => t.dataset.status).join());
      seen.add(s);
      return s === 'success,success';
    }, 30000);
    diag(`task statuses seen on the run page: ${[...seen].join(' | ')}`);
    check([...seen].some((s) => s.includes('running') || s.includes('queued') || s.includes('pending')),
      'the run page never showed the run before it finished');
    await waitFor('the logs of the new run', async () =>
      (await page.locator('ol.log').first().textContent()).includes('bye'));
    await page.getByRole('link', { name: jobName }).click();
    await waitFor('two bars', async () => (await page.locator('svg.chart rect.bar.s-success').count()) === 2);
    const summary = await page.locator('.chart-summary').textContent();
    check(summary.includes('2 success'), `chart summary "${summary}"`);
    await shot(page, 'web-job.png');
    check(await page.evaluate(() => window.__ork_web_test) === 'same page', 'the page was loaded again');
  }],

  ['the page catches up after ork-api restarts', async () => {
    const { page } = ctx;
    const before = await page.locator('table.runs tbody tr').count();
    // web_test.c restarts ork-api on the same port when it reads this
    ctx.restarting = true;
    process.stdout.write('do - restart ork-api\n');
    await waitFor('the live indicator to notice', async () =>
      (await page.locator('#live').getAttribute('data-state')) !== 'live', 30000);
    await waitFor('ork-api to answer again', async () => (await api('GET', '/health')).status === 200, 30000);
    // a run while the page is still reconnecting: it must not be missed
    const run = await api('POST', `/jobs/${ctx.jobId}/run`, ctx.adminToken);
    check(run.status === 201, `POST /jobs/{id}/run: ${run.status} ${run.text}`);
    await waitFor('the stream to come back', async () =>
      (await page.locator('#live').getAttribute('data-state')) === 'live', 40000);
    ctx.restarting = false;
    diag(`connections refused while ork-api restarted: ${ctx.refusedWhileRestarting}`);
    await waitFor('the new run in the history, finished', async () =>
      (await page.locator(`table.runs tr[data-run="${run.json.run_id}"]`).getAttribute('data-status')) === 'success', 30000);
    check(await page.locator('table.runs tbody tr').count() === before + 1, 'the history did not grow by one run');
    check(ctx.lastEventIds.length > 0, 'the page reconnected without Last-Event-ID');
    diag(`reconnected with Last-Event-ID ${ctx.lastEventIds.join(', ')}`);
    check(await page.evaluate(() => window.__ork_web_test) === 'same page', 'the page was loaded again');
  }],

  ['a failed run shows its error', async () => {
    const { page } = ctx;
    const job = await api('POST', '/jobs', ctx.adminToken, {
      job_name: failName,
      tasks: [
        { task_name: 'break', max_attempts: 1, extractor_config: { type: 'command', argv: ['sh', '-c', 'echo about to fail >&2; exit 3'] } },
        { task_name: 'after', extractor_config: { type: 'noop' } },
      ],
    });
    check(job.status === 201, `POST /jobs: ${job.status} ${job.text}`);
    const run = await api('POST', `/jobs/${job.json.job_id}/run`, ctx.adminToken);
    check(run.status === 201, `POST /jobs/{id}/run: ${run.status} ${run.text}`);
    // followed to its end on its page, opened by address (no reload)
    await page.evaluate((id) => { location.hash = `#/runs/${id}`; }, run.json.run_id);
    await page.getByRole('heading', { name: `Run of ${failName}` }).waitFor();
    await waitFor('the run to fail', async () =>
      (await page.locator('h1 .badge').textContent()) === 'failed', 30000);
    const box = await page.locator('.error-box').textContent();
    check(box.includes('exited with status 3'), `the error box says "${box}"`);
    await waitFor('the tasks to be failed and skipped', async () =>
      (await page.locator('tr[data-task]').evaluateAll((trs) => trs.map((t) => t.dataset.status).join())) === 'failed,skipped');
    const cell = await page.locator('tr[data-task]').first().locator('td.error-cell').textContent();
    check(cell.includes('exited with status 3'), `the task's error cell says "${cell}"`);
    check(await page.getByRole('button', { name: 'Retry failed tasks' }).isVisible(), 'no Retry button on a failed run');
    await page.getByRole('button', { name: 'Attempts and logs of break' }).click();
    await waitFor('the stderr line', async () =>
      (await page.locator('ol.log').first().textContent()).includes('about to fail'));
    await page.getByRole('link', { name: failName }).click();
    await waitFor('a failed bar', async () => (await page.locator('svg.chart rect.bar.s-failed').count()) === 1);
    await shot(page, 'web-failed-job.png');
    check(await page.evaluate(() => window.__ork_web_test) === 'same page', 'the page was loaded again');
  }],

  ['cancel a running run from its page', async () => {
    const { page } = ctx;
    const job = await api('POST', '/jobs', ctx.adminToken, {
      job_name: slowName,
      tasks: [{ task_name: 'wait', max_attempts: 1, extractor_config: { type: 'command', argv: ['sleep', '60'] } }],
    });
    check(job.status === 201, `POST /jobs: ${job.status} ${job.text}`);
    ctx.slowJobId = job.json.job_id;
    const run = await api('POST', `/jobs/${ctx.slowJobId}/run`, ctx.adminToken);
    check(run.status === 201, `POST /jobs/{id}/run: ${run.status} ${run.text}`);
    await page.evaluate((id) => { location.hash = `#/runs/${id}`; }, run.json.run_id);
    await waitFor('the task to run', async () =>
      (await page.locator('tr[data-task]').first().getAttribute('data-status')) === 'running', 30000);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await waitFor('the run to be cancelled', async () =>
      (await page.locator('h1 .badge').textContent()) === 'cancelled', 30000);
    await waitFor('the task to be cancelled', async () =>
      (await page.locator('tr[data-task]').first().getAttribute('data-status')) === 'cancelled');
    check(await page.getByRole('button', { name: 'Retry failed tasks' }).isVisible(), 'no Retry button on a cancelled run');
    check(await page.getByRole('button', { name: 'Cancel run' }).count() === 0, 'the Cancel button stayed');
  }],

  ['a viewer sees everything and cannot run jobs', async () => {
    const viewer = await api('POST', '/users', ctx.adminToken, { username: 'web-viewer', password: 'viewer-password-1', role: 'viewer' });
    check(viewer.status === 201, `POST /users: ${viewer.status} ${viewer.text}`);
    const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (e) => ctx.pageErrors.push(String(e)));
    try {
      await page.goto(base + '/');
      await page.getByLabel('Username').fill('web-viewer');
      await page.getByLabel('Password').fill('viewer-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: jobName }).waitFor();
      check(await page.getByRole('button', { name: `Run ${jobName} now` }).isDisabled(), 'Run now is enabled for a viewer');
      check((await page.locator('#who').textContent()).includes('viewer'), 'the role is not shown');
      await page.getByRole('link', { name: slowName }).click();
      await page.locator('table.runs tbody tr a').first().click();
      await page.getByRole('heading', { name: `Run of ${slowName}` }).waitFor();
      check(await page.getByRole('button', { name: 'Retry failed tasks' }).isDisabled(), 'Retry is enabled for a viewer');
    } finally {
      await context.close();
    }
  }],

  ['a narrow screen needs no horizontal scrolling', async () => {
    const { page } = ctx;
    await page.setViewportSize({ width: 360, height: 740 });
    await noHorizontalScroll(page, 'job page');
    await page.goto(`${base}/#/`);
    await page.getByRole('link', { name: jobName }).waitFor();
    await noHorizontalScroll(page, 'jobs list');
    await shot(page, 'web-jobs-narrow.png');
    await page.goto(`${base}/#/runs/${ctx.runId}`);
    await page.getByRole('button', { name: 'Attempts and logs of greet' }).click();
    await page.locator('ol.log li').first().waitFor();
    await noHorizontalScroll(page, 'run page with logs');
    await shot(page, 'web-run-narrow.png');
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${base}/#/`);
    await page.getByRole('link', { name: jobName }).waitFor();
    await shot(page, 'web-jobs.png');
  }],

  ['every request goes to ork-api', async () => {
    const foreign = ctx.requests.filter((u) => !u.startsWith(origin + '/'));
    check(ctx.requests.length > 10, `only ${ctx.requests.length} requests recorded`);
    check(foreign.length === 0, `requests elsewhere: ${foreign.slice(0, 5).join(', ')}`);
    const tokenInUrl = ctx.requests.filter((u) => u.includes('access_token') || u.includes('ork_'));
    check(tokenInUrl.length === 0, `a token in a URL: ${tokenInUrl[0]}`);
    check(ctx.requests.some((u) => u === `${origin}/events`), 'the page never opened /events');
  }],

  ['no script errors or policy violations', async () => {
    const errors = ctx.consoleErrors.filter((t) => !/status of 401/.test(t));
    const expected = ctx.consoleErrors.length - errors.length;
    check(ctx.pageErrors.length === 0, `uncaught: ${ctx.pageErrors.join(' | ')}`);
    check(errors.length === 0, `console errors: ${errors.join(' | ')}`);
    check(expected <= ctx.expected401, `${expected} answers 401, expected ${ctx.expected401}`);
  }],

  ['sign out ends the session', async () => {
    const { page } = ctx;
    const tok = await page.evaluate(() => sessionStorage.getItem('ork.token'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to ork' }).waitFor();
    check(await page.evaluate(() => sessionStorage.getItem('ork.token')) === null, 'the token is still stored');
    const me = await api('GET', '/auth/me', tok);
    check(me.status === 401, `the old token still works: ${me.status}`);
  }],
];

let failedAt = null;
for (const [name, fn] of steps) {
  if (failedAt !== null) {
    process.stdout.write(`not ok - ${name} - not run: "${failedAt}" failed\n`);
    continue;
  }
  try {
    await fn();
    process.stdout.write(`ok - ${name}\n`);
  } catch (e) {
    failedAt = name;
    const why = String(e && e.message ? e.message : e).split('\n')[0];
    process.stdout.write(`not ok - ${name} - ${why}\n`);
    diag(`${name}: ${e && e.stack ? e.stack : e}`);
    if (ctx.page) {
      await ctx.page.screenshot({ path: join(out, 'web-failure.png'), fullPage: true }).catch(() => {});
    }
  }
}
if (ctx.browser) await ctx.browser.close();
process.exit(failedAt === null ? 0 : 1);
