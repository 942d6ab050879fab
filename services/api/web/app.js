// app.js - ork's web page: sign in, jobs, a job with its runs, a run
// with its tasks, attempts, timeline and logs. Views follow the hash
// (#/, #/jobs/ID, #/runs/ID) and update themselves from the event
// stream (events.js), never by reloading the page.

import { get, post, setToken, token, onUnauthorized, ApiError } from './api.js';
import { EventStream } from './events.js';
import { durationsChart, runDurationMs } from './chart.js';

const FINAL = new Set(['success', 'failed', 'cancelled', 'skipped']);
const UUID = '[0-9a-fA-F-]{36}';
const JOBS_REFRESH_MS = 15000;

const state = {
  me: null,
  view: null,
  stream: null,
  names: new Map(), // job_id -> job_name, for announcements
};

// ---- small helpers --------------------------------------------------

function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  append(e, children);
  return e;
}

function append(e, children) {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// fill replaces the children of e (null and false are left out, where
// replaceChildren would write "null").
function fill(e, ...children) {
  e.replaceChildren();
  append(e, children);
}

function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const shortFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const relFmt = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function fmtTime(iso) {
  return iso ? dateFmt.format(new Date(iso)) : '—';
}

function fmtShort(iso) {
  return iso ? shortFmt.format(new Date(iso)) : '—';
}

function fmtRel(iso, now = Date.now()) {
  const s = Math.round((Date.parse(iso) - now) / 1000);
  const a = Math.abs(s);
  if (a < 60) return relFmt.format(s, 'second');
  if (a < 3600) return relFmt.format(Math.round(s / 60), 'minute');
  if (a < 86400) return relFmt.format(Math.round(s / 3600), 'hour');
  return relFmt.format(Math.round(s / 86400), 'day');
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

// timeEl shows a time relative to now, the exact time as its title.
function timeEl(iso) {
  if (!iso) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: iso, title: fmtTime(iso), 'data-rel': iso, text: fmtRel(iso) });
}

function refreshRelTimes(root) {
  const now = Date.now();
  for (const t of root.querySelectorAll('time[data-rel]')) t.textContent = fmtRel(t.dataset.rel, now);
}

function badge(status) {
  return h('span', { class: `badge s-${status || 'none'}`, text: status || 'never run' });
}

function shortId(id) {
  return id ? id.slice(-8) : '';
}

function canOperate() {
  return state.me && (state.me.role === 'operator' || state.me.role === 'admin');
}

function announce(msg) {
  const el = document.getElementById('announce');
  el.textContent = '';
  setTimeout(() => { el.textContent = msg; }, 30);
}

function showError(e) {
  const b = document.getElementById('banner');
  if (!e) {
    b.hidden = true;
    b.textContent = '';
    return;
  }
  b.textContent = e instanceof Error ? e.message : String(e);
  b.hidden = false;
}

// failed reports an error of a call unless the session just ended.
function failed(e) {
  if (e && e.name === 'AbortError') return;
  if (e instanceof ApiError && e.status === 401) return;
  showError(e);
}

function main() {
  return document.getElementById('main');
}

function setTitle(text) {
  document.title = text ? `${text} · ork` : 'ork';
}

function section(title, ...children) {
  const id = 'h-' + title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return h('section', { 'aria-labelledby': id }, h('h2', { id, text: title }), ...children);
}

// ---- session --------------------------------------------------------

function startSession(me) {
  state.me = me;
  document.getElementById('who').textContent = `${me.username} (${me.role})`;
  document.getElementById('session').hidden = false;
  if (!state.stream) {
    state.stream = new EventStream(
      () => ({ Authorization: `Bearer ${token()}` }),
      onEvent,
      onStreamState,
    );
  }
  state.stream.start();
}

function endSession(message) {
  if (state.stream) state.stream.stop();
  setToken(null);
  state.me = null;
  document.getElementById('session').hidden = true;
  showLogin(message);
}

async function signOut() {
  try {
    await post('/auth/logout');
  } catch {
    // the token is dropped whatever the server said
  }
  endSession('You are signed out.');
}

function onStreamState(s, reconnected) {
  const el = document.getElementById('live');
  el.dataset.state = s;
  el.textContent = s === 'live' ? 'Live' : s === 'connecting' ? 'Connecting…' : 'Offline';
  el.title = s === 'live' ? 'Updates arrive as they happen' : 'Updates are paused';
  if (s === 'live' && reconnected && state.view && state.view.refresh) state.view.refresh();
}

function onEvent(kind, data) {
  if (kind === 'unauthorized') {
    endSession('Your session has ended: sign in again.');
    return;
  }
  if (kind === 'run' && FINAL.has(data.status)) {
    const name = state.names.get(data.job_id);
    announce(`Run of ${name ? name : 'a job'} finished: ${data.status}`);
  }
  if (state.view && state.view.onEvent) state.view.onEvent(kind, data);
}

// ---- routing --------------------------------------------------------

function route() {
  if (!state.me) return;
  showError(null);
  const hash = location.hash || '#/';
  let m;
  let view;
  if (hash === '#/' || hash === '#') view = jobsView();
  else if ((m = hash.match(new RegExp(`^#/jobs/(${UUID})$`)))) view = jobView(m[1].toLowerCase());
  else if ((m = hash.match(new RegExp(`^#/runs/(${UUID})$`)))) view = runView(m[1].toLowerCase());
  else view = notFoundView();
  setView(view);
}

function setView(view) {
  if (state.view && state.view.dispose) state.view.dispose();
  state.view = view;
  fill(main(), view.node);
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.getAttribute('href') === '#/' && view.name === 'jobs') a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

// focusHeading moves focus to a view's heading after navigation, so a
// screen reader starts reading there.
function focusHeading(node) {
  const h1 = node.querySelector('h1');
  if (h1 && document.activeElement !== document.getElementById('username')) {
    h1.setAttribute('tabindex', '-1');
    h1.focus({ preventScroll: false });
  }
}

// ---- sign in --------------------------------------------------------

function showLogin(message) {
  if (state.view && state.view.dispose) state.view.dispose();
  state.view = null;
  showError(null);
  setTitle('Sign in');
  const err = h('p', { class: 'form-error', id: 'login-error', role: 'alert' });
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'primary', text: 'Sign in' });
  const form = h('form', { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title', text: 'Sign in to ork' }),
    message ? h('p', { class: 'note', text: message }) : null,
    h('div', { class: 'field' }, h('label', { for: 'username', text: 'Username' }), user),
    h('div', { class: 'field' }, h('label', { for: 'password', text: 'Password' }), pass),
    submit, err);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    submit.disabled = true;
    try {
      const s = await post('/auth/login', { username: user.value, password: pass.value }, { auth: false });
      setToken(s.token);
      startSession(s.user);
      // no hashchange: route() below draws the view once
      if (!location.hash || location.hash === '#') history.replaceState(null, '', '#/');
      route();
      focusHeading(main());
    } catch (e) {
      err.textContent = e instanceof ApiError && e.status === 401
        ? 'Wrong username or password.' : e.message;
      pass.select();
    } finally {
      submit.disabled = false;
    }
  });
  fill(main(), form);
  user.focus();
}

// ---- jobs -----------------------------------------------------------

function sourceOf(task) {
  const x = task.extractor_config || {};
  const argv = x.argv && x.argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
  const what = x.url || x.path || argv || x.shell || '';
  return what ? `${x.type}: ${what}` : x.type || task.kind;
}

function destinationOf(task) {
  const l = task.loader_config || {};
  if (!l.type) return '—';
  return `${l.type}: ${l.table_name || ''}${l.mode ? ` (${l.mode})` : ''}`;
}

function scheduleText(job) {
  return job.schedule ? job.schedule : 'on demand';
}

// triggerButton runs a job now; after(run) gets the new run.
function triggerButton(job, after) {
  const b = h('button', { type: 'button', class: 'run-now', 'aria-label': `Run ${job.job_name} now`, text: 'Run now' });
  if (!canOperate()) {
    b.disabled = true;
    b.title = 'Needs the operator role';
  }
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const run = await post(`/jobs/${job.job_id}/run`);
      announce(`Run of ${job.job_name} started`);
      after(run);
    } catch (e) {
      failed(e);
    } finally {
      b.disabled = !canOperate();
    }
  });
  return b;
}

function jobsView() {
  setTitle('Jobs');
  const jobs = new Map(); // job_id -> { job, tr, cells }
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', hidden: true },
    'No jobs yet. Create one with ', h('code', { text: 'POST /jobs' }), ' or the ork command line.');
  const table = h('table', { class: 'list jobs' },
    h('caption', { class: 'sr-only', text: 'Jobs with their schedule, next fire time and last run' }),
    h('thead', {}, h('tr', {},
      ['Job', 'Schedule', 'Next fire', 'Last run', 'Tasks'].map((t) => h('th', { scope: 'col', text: t })),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: 'Actions' })))),
    tbody);
  const refreshBtn = h('button', { type: 'button', text: 'Refresh', onclick: () => load() });
  const truncated = h('p', { class: 'note', hidden: true, text: 'Only the newest 500 jobs are shown.' });
  const node = h('div', { class: 'view' },
    h('div', { class: 'title-row' }, h('h1', { text: 'Jobs' }), refreshBtn),
    h('div', { class: 'table-wrap' }, table), empty, truncated);

  function renderRow(entry) {
    const { job, cells } = entry;
    state.names.set(job.job_id, job.job_name);
    fill(cells.name, 
      h('a', { href: `#/jobs/${job.job_id}`, class: 'job-link', text: job.job_name }),
      job.description ? h('div', { class: 'muted small', text: job.description }) : null);
    fill(cells.schedule, 
      job.schedule ? h('code', { text: job.schedule }) : h('span', { class: 'muted', text: 'on demand' }),
      job.schedule && job.timezone && job.timezone !== 'UTC' ? h('span', { class: 'muted small', text: ` ${job.timezone}` }) : null,
      job.is_active ? null : h('span', { class: 'tag', text: 'paused' }));
    fill(cells.next, job.schedule && job.is_active ? timeEl(job.next_fire_at) : h('span', { class: 'muted', text: '—' }));
    const lr = job.last_run;
    fill(cells.last, lr
      ? h('a', { href: `#/runs/${lr.run_id}`, class: 'run-link', 'aria-label': `Last run: ${lr.status}, ${fmtTime(lr.created_at)}` },
        badge(lr.status), ' ', timeEl(lr.created_at))
      : h('span', { class: 'muted', text: 'never run' }));
    cells.last.dataset.status = lr ? lr.status : '';
    cells.tasks.textContent = job.task_count !== undefined ? String(job.task_count) : '';
  }

  function rowFor(job) {
    let e = jobs.get(job.job_id);
    if (e) {
      e.job = job;
      return e;
    }
    const cells = {
      name: h('td', { 'data-label': 'Job' }), schedule: h('td', { 'data-label': 'Schedule' }),
      next: h('td', { 'data-label': 'Next fire' }), last: h('td', { 'data-label': 'Last run', class: 'last-run' }),
      tasks: h('td', { 'data-label': 'Tasks', class: 'num' }), action: h('td', { class: 'action' }),
    };
    e = { job, cells, tr: null };
    e.tr = h('tr', { 'data-job': job.job_id }, Object.values(cells));
    cells.action.append(triggerButton(job, (run) => {
      const cur = jobs.get(job.job_id);
      if (!cur) return;
      // the run's events may have come before this answer: they are newer
      if (cur.job.last_run && cur.job.last_run.run_id === run.run_id) return;
      cur.job = { ...cur.job, last_run: { run_id: run.run_id, status: run.status || 'queued', created_at: run.created_at || new Date().toISOString() } };
      renderRow(cur);
    }));
    jobs.set(job.job_id, e);
    return e;
  }

  async function load() {
    try {
      const page = await get('/jobs?limit=500');
      const seen = new Set();
      const order = [];
      for (const job of page.items) {
        const e = rowFor(job);
        renderRow(e);
        seen.add(job.job_id);
        order.push(e.tr);
      }
      for (const [id, e] of jobs) {
        if (!seen.has(id)) {
          e.tr.remove();
          jobs.delete(id);
        }
      }
      const current = Array.from(tbody.children);
      if (current.length !== order.length || current.some((tr, i) => tr !== order[i])) tbody.append(...order);
      empty.hidden = order.length > 0;
      truncated.hidden = !page.next_cursor;
      table.hidden = order.length === 0;
    } catch (e) {
      failed(e);
    }
  }

  // onEvent: the newest run of a job is the one whose first event came
  // last; its later events change its status in place.
  function onEvent(kind, ev) {
    if (kind !== 'run') return;
    const e = jobs.get(ev.job_id);
    if (!e) return;
    const lr = e.job.last_run;
    if (lr && lr.run_id === ev.run_id) {
      e.job = { ...e.job, last_run: { ...lr, status: ev.status, finished_at: FINAL.has(ev.status) ? ev.at : lr.finished_at } };
    } else if (!lr || ev.status === 'queued' || Date.parse(ev.at) >= Date.parse(lr.created_at)) {
      e.job = { ...e.job, last_run: { run_id: ev.run_id, status: ev.status, created_at: ev.at, finished_at: null } };
    } else {
      return;
    }
    renderRow(e);
  }

  load();
  const timer = setInterval(() => { load(); }, JOBS_REFRESH_MS);
  const tick = setInterval(() => refreshRelTimes(node), 5000);
  return {
    name: 'jobs', node, onEvent, refresh: load,
    dispose() { clearInterval(timer); clearInterval(tick); },
  };
}

// ---- one job --------------------------------------------------------

function jobView(id) {
  const head = h('div', { class: 'title-row' }, h('h1', { text: 'Job' }));
  const info = h('div');
  const tasks = h('div');
  const chartBox = h('figure', { class: 'chart-box' });
  const runsBox = h('div');
  const more = h('button', { type: 'button', hidden: true, text: 'Older runs' });
  let job = null;
  let runs = [];
  let nextCursor = null;
  let chartDrawn = 0;

  const node = h('div', { class: 'view' },
    h('p', { class: 'crumbs' }, h('a', { href: '#/', text: 'Jobs' })),
    head, info,
    section('Tasks', tasks),
    section('Run durations', chartBox),
    section('Run history', runsBox, more));

  function renderJob() {
    setTitle(job.job_name);
    state.names.set(job.job_id, job.job_name);
    const title = head.querySelector('h1');
    title.textContent = job.job_name;
    // made once: a reload must not take the focus away from the button
    if (!head.querySelector('.run-now')) {
      head.append(triggerButton(job, (run) => {
        runs = [{ ...run, status: run.status || 'queued' }, ...runs.filter((r) => r.run_id !== run.run_id)];
        renderRuns();
        loadRuns();
      }));
    }
    fill(info, 
      job.description ? h('p', { text: job.description }) : null,
      h('dl', { class: 'facts' },
        h('dt', { text: 'Schedule' }), h('dd', {}, job.schedule ? h('code', { text: job.schedule }) : 'on demand',
          job.schedule ? ` (${job.timezone})` : ''),
        h('dt', { text: 'Next fire' }), h('dd', {}, job.schedule && job.is_active ? timeEl(job.next_fire_at) : '—'),
        h('dt', { text: 'State' }), h('dd', { text: job.is_active ? 'active' : 'paused (runs only by hand)' }),
        h('dt', { text: 'Concurrency' }), h('dd', { text: `${job.max_active_runs} at once, ${job.overlap === 'skip' ? 'skip' : 'queue'} when busy` })));
    fill(tasks, h('div', { class: 'table-wrap' }, h('table', { class: 'list tasks-def' },
      h('caption', { class: 'sr-only', text: 'Tasks of the job, in order' }),
      h('thead', {}, h('tr', {}, ['#', 'Task', 'Source', 'Destination', 'Attempts', 'Timeout'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, (job.tasks || []).map((t) => h('tr', {},
        h('td', { 'data-label': '#', class: 'num', text: String(t.task_order + 1) }),
        h('td', { 'data-label': 'Task', text: t.task_name || t.kind }),
        h('td', { 'data-label': 'Source' }, h('code', { class: 'wrap', text: sourceOf(t) })),
        h('td', { 'data-label': 'Destination', text: destinationOf(t) }),
        h('td', { 'data-label': 'Attempts', class: 'num', text: String(t.max_attempts) }),
        h('td', { 'data-label': 'Timeout', text: t.timeout_seconds ? fmtDuration(t.timeout_seconds * 1000) : '—' })))))));
  }

  function renderChart() {
    const c = durationsChart(runs.slice(0, 50), fmtDuration, fmtShort, 'chart-' + id);
    fill(chartBox, c.node,
      h('figcaption', {}, h('span', { class: 'chart-summary', text: c.summary }), ' ',
        h('span', { class: 'legend', 'aria-hidden': 'true' },
          ['success', 'failed', 'cancelled', 'running'].map((s) => h('span', { class: `key s-${s}`, text: s })))));
    chartDrawn = Date.now();
  }

  function renderRuns() {
    renderChart();
    if (runs.length === 0) {
      fill(runsBox, h('p', { class: 'empty', text: 'This job has not run yet.' }));
      return;
    }
    fill(runsBox, h('div', { class: 'table-wrap' }, h('table', { class: 'list runs' },
      h('caption', { class: 'sr-only', text: 'Runs of the job, newest first' }),
      h('thead', {}, h('tr', {}, ['Run', 'Status', 'Trigger', 'Started', 'Duration', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, runs.map((r) => h('tr', { 'data-run': r.run_id, 'data-status': r.status },
        h('td', { 'data-label': 'Run' }, h('a', { href: `#/runs/${r.run_id}`, 'aria-label': `Run ${fmtTime(r.created_at)}` },
          fmtShort(r.created_at)), h('span', { class: 'muted small mono', text: ` …${shortId(r.run_id)}` })),
        h('td', { 'data-label': 'Status' }, badge(r.status)),
        h('td', { 'data-label': 'Trigger', text: r.triggered_by || '—' }),
        h('td', { 'data-label': 'Started' }, timeEl(r.started_at)),
        h('td', { 'data-label': 'Duration', class: 'num', 'data-start': r.finished_at ? null : r.started_at,
          text: fmtDuration(runDurationMs(r)) }),
        h('td', { 'data-label': 'Error', class: 'error-cell', text: r.error_message || '' })))))));
  }

  async function loadJob() {
    try {
      job = await get(`/jobs/${id}`);
      renderJob();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setView(notFoundView(`There is no job ${id}.`));
        return;
      }
      failed(e);
    }
  }

  async function loadRuns() {
    try {
      const page = await get(`/jobs/${id}/runs?limit=50`);
      runs = page.items;
      nextCursor = page.next_cursor;
      more.hidden = !nextCursor;
      renderRuns();
    } catch (e) {
      failed(e);
    }
  }

  more.addEventListener('click', async () => {
    if (!nextCursor) return;
    try {
      const page = await get(`/jobs/${id}/runs?limit=50&cursor=${encodeURIComponent(nextCursor)}`);
      runs = runs.concat(page.items);
      nextCursor = page.next_cursor;
      more.hidden = !nextCursor;
      renderRuns();
    } catch (e) {
      failed(e);
    }
  });

  const reloadRuns = debounce(loadRuns, 200);
  const reloadJob = debounce(loadJob, 500);

  function onEvent(kind, ev) {
    if (kind !== 'run' || ev.job_id !== id) return;
    reloadRuns();
    if (FINAL.has(ev.status)) reloadJob();
  }

  // running runs: their durations grow
  const tick = setInterval(() => {
    const now = Date.now();
    for (const td of node.querySelectorAll('td[data-start]')) {
      td.textContent = fmtDuration(now - Date.parse(td.dataset.start));
    }
    if (runs.some((r) => !FINAL.has(r.status)) && now - chartDrawn > 2000) renderChart();
    refreshRelTimes(node);
  }, 1000);

  loadJob().then(() => loadRuns()).then(() => focusHeading(node));
  return {
    name: 'job', node, onEvent,
    refresh() { loadJob(); loadRuns(); },
    dispose() { clearInterval(tick); },
  };
}

// ---- one run --------------------------------------------------------

function runView(id) {
  const head = h('div', { class: 'title-row' }, h('h1', { text: 'Run' }));
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '#/', text: 'Jobs' }));
  const summary = h('div');
  const timeline = h('div', { class: 'timeline' });
  const tbody = h('tbody');
  const tasksTable = h('table', { class: 'list run-tasks' },
    h('caption', { class: 'sr-only', text: 'Tasks of the run, in order' }),
    h('thead', {}, h('tr', {}, ['#', 'Task', 'Status', 'Attempt', 'Rows', 'Duration', 'Worker', 'Error'].map((t) => h('th', { scope: 'col', text: t })),
      h('th', { scope: 'col' }, h('span', { class: 'sr-only', text: 'Details' })))),
    tbody);
  const node = h('div', { class: 'view' }, crumbs, head, summary,
    section('Timeline', timeline),
    section('Tasks', h('div', { class: 'table-wrap' }, tasksTable)));
  let run = null;
  let tasks = [];
  const rows = new Map(); // task_run_id -> { task, tr, cells, detail, open, ... }

  function renderSummary() {
    state.names.set(run.job_id, run.job_name);
    setTitle(`Run of ${run.job_name}`);
    fill(crumbs, h('a', { href: '#/', text: 'Jobs' }), ' / ',
      h('a', { href: `#/jobs/${run.job_id}`, text: run.job_name }));
    const heading = head.querySelector('h1');
    fill(heading, `Run of ${run.job_name} `, badge(run.status));
    // the buttons change only with what can be done (the focus stays)
    const can = !FINAL.has(run.status) ? 'cancel'
      : run.status === 'failed' || run.status === 'cancelled' ? 'retry' : '';
    if (head.dataset.can !== can) {
      head.dataset.can = can;
      const actions = [];
      if (can === 'cancel') {
        actions.push(h('button', { type: 'button', class: 'danger', disabled: !canOperate(), text: 'Cancel run', onclick: (ev) => act(ev.target, 'cancel') }));
      } else if (can === 'retry') {
        actions.push(h('button', { type: 'button', disabled: !canOperate(), text: 'Retry failed tasks', onclick: (ev) => act(ev.target, 'retry') }));
      }
      fill(head, heading, h('div', { class: 'actions' }, actions));
    }
    fill(summary, h('dl', { class: 'facts' },
      h('dt', { text: 'Triggered' }), h('dd', {}, `${run.triggered_by}`, run.scheduled_for ? ` for ${fmtTime(run.scheduled_for)}` : '', ', ', timeEl(run.created_at)),
      h('dt', { text: 'Started' }), h('dd', { text: fmtTime(run.started_at) }),
      h('dt', { text: 'Finished' }), h('dd', { text: fmtTime(run.finished_at) }),
      h('dt', { text: 'Duration' }), h('dd', { class: 'run-duration', text: fmtDuration(runDurationMs(run)) }),
      h('dt', { text: 'Tasks' }), h('dd', { text: Object.entries(run.task_counts || {}).map(([s, n]) => `${n} ${s}`).join(', ') || '—' }),
      h('dt', { text: 'Trace id' }), h('dd', {}, h('code', { text: run.trace_id || '—' }))),
      run.error_message ? h('div', { class: 'error-box' }, h('strong', { text: 'Error: ' }), run.error_message) : null);
  }

  async function act(button, what) {
    button.disabled = true;
    try {
      const res = await post(`/runs/${id}/${what}`);
      announce(what === 'cancel' ? `Cancel asked: the run is ${res.status}` : `Retrying: the run is ${res.status}`);
      reload();
    } catch (e) {
      failed(e);
      button.disabled = false;
    }
  }

  // renderTimeline draws one bar per task from its start to its end (or
  // now) on the run's time span.
  function renderTimeline() {
    const now = Date.now();
    const starts = tasks.filter((t) => t.started_at).map((t) => Date.parse(t.started_at));
    const t0 = run.started_at ? Date.parse(run.started_at) : starts.length ? Math.min(...starts) : null;
    if (t0 === null) {
      fill(timeline, h('p', { class: 'empty', text: 'No task has started yet.' }));
      return;
    }
    const ends = tasks.map((t) => (t.finished_at ? Date.parse(t.finished_at) : t.started_at ? now : t0));
    const t1 = Math.max(run.finished_at ? Date.parse(run.finished_at) : now, ...ends, t0 + 1);
    const span = t1 - t0;
    const list = h('ol', { class: 'tl-rows' });
    for (const t of tasks) {
      const label = t.task_name || `task ${t.task_order + 1}`;
      const track = h('div', { class: 'tl-track' });
      let text = t.status;
      if (t.started_at) {
        const s = Date.parse(t.started_at);
        const e = t.finished_at ? Date.parse(t.finished_at) : now;
        const bar = h('div', { class: `tl-bar s-${t.status}` });
        bar.style.left = `${((s - t0) / span) * 100}%`;
        bar.style.width = `${Math.max(0.5, ((e - s) / span) * 100)}%`;
        track.append(bar);
        text = `${t.status}, ${fmtDuration(e - s)}, from +${fmtDuration(s - t0)}`;
      }
      list.append(h('li', { class: 'tl-row' },
        h('span', { class: 'tl-label', text: label }), track,
        h('span', { class: 'tl-text', text })));
    }
    fill(timeline, list, h('div', { class: 'tl-axis', 'aria-hidden': 'true' },
      h('span', { text: '0 s' }), h('span', { text: fmtDuration(span) })));
  }

  function renderTask(e) {
    const t = e.task;
    const c = e.cells;
    fill(c.name, t.task_name || t.kind, h('div', { class: 'muted small', text: t.kind }));
    fill(c.status, badge(t.status));
    e.tr.dataset.status = t.status;
    c.attempt.textContent = `${t.attempt} of ${t.max_attempts}`;
    c.rows.textContent = t.rows_moved === null || t.rows_moved === undefined ? '—' : t.rows_moved.toLocaleString();
    c.duration.textContent = t.started_at ? fmtDuration(runDurationMs(t)) : '—';
    c.worker.textContent = t.worker_id || '—';
    c.error.textContent = t.error_message || '';
  }

  function rowFor(t) {
    let e = rows.get(t.task_run_id);
    if (e) {
      e.task = t;
      return e;
    }
    const cells = {
      order: h('td', { 'data-label': '#', class: 'num', text: String(t.task_order + 1) }),
      name: h('td', { 'data-label': 'Task' }), status: h('td', { 'data-label': 'Status' }),
      attempt: h('td', { 'data-label': 'Attempt' }), rows: h('td', { 'data-label': 'Rows', class: 'num' }),
      duration: h('td', { 'data-label': 'Duration', class: 'num' }), worker: h('td', { 'data-label': 'Worker' }),
      error: h('td', { 'data-label': 'Error', class: 'error-cell' }), more: h('td', { class: 'action' }),
    };
    const panelId = `task-${t.task_run_id}`;
    const toggle = h('button', { type: 'button', class: 'logs-toggle', 'aria-expanded': 'false', 'aria-controls': panelId,
      'aria-label': `Attempts and logs of ${t.task_name || `task ${t.task_order + 1}`}`, text: 'Logs' });
    cells.more.append(toggle);
    const panel = h('td', { colspan: 9, class: 'detail-cell' });
    const detail = h('tr', { class: 'detail', id: panelId, hidden: true }, panel);
    e = { task: t, cells, tr: h('tr', { 'data-task': t.task_run_id }, Object.values(cells)), detail, panel, toggle,
      open: false, logs: null, attempts: null, follow: null, logsEl: null, attemptsEl: null, poll: null, loading: false };
    toggle.addEventListener('click', () => setOpen(e, !e.open));
    rows.set(t.task_run_id, e);
    return e;
  }

  function setOpen(e, open) {
    e.open = open;
    e.toggle.setAttribute('aria-expanded', String(open));
    e.toggle.textContent = open ? 'Hide logs' : 'Logs';
    e.detail.hidden = !open;
    if (open) {
      if (!e.logsEl) {
        e.attemptsEl = h('div', { class: 'attempts' });
        e.logsEl = h('ol', { class: 'log', 'aria-label': `Log of ${e.task.task_name || 'the task'}` });
        fill(e.panel, h('h3', { text: 'Attempts' }), e.attemptsEl, h('h3', { text: 'Log' }),
          h('div', { class: 'log-box', tabindex: '0', role: 'region', 'aria-label': 'Log lines' }, e.logsEl));
      }
      loadDetail(e);
    } else {
      clearInterval(e.poll);
      e.poll = null;
    }
  }

  function renderAttempts(e) {
    const list = e.attempts || [];
    if (list.length === 0) {
      fill(e.attemptsEl, h('p', { class: 'muted', text: 'No attempt yet.' }));
      return;
    }
    fill(e.attemptsEl, h('table', { class: 'list attempts-table' },
      h('thead', {}, h('tr', {}, ['Attempt', 'Status', 'Worker', 'Rows', 'Started', 'Duration', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, list.map((a) => h('tr', {},
        h('td', { 'data-label': 'Attempt', class: 'num', text: String(a.attempt) }),
        h('td', { 'data-label': 'Status' }, badge(a.status)),
        h('td', { 'data-label': 'Worker', text: a.worker_id || '—' }),
        h('td', { 'data-label': 'Rows', class: 'num', text: a.rows_moved === null || a.rows_moved === undefined ? '—' : String(a.rows_moved) }),
        h('td', { 'data-label': 'Started', text: fmtTime(a.started_at) }),
        h('td', { 'data-label': 'Duration', class: 'num', text: a.started_at ? fmtDuration(runDurationMs(a)) : '—' }),
        h('td', { 'data-label': 'Error', class: 'error-cell', text: a.error_message || '' }))))));
  }

  function appendLogs(e, items) {
    for (const l of items) {
      e.logsEl.append(h('li', { class: `log-line st-${l.stream}` },
        h('time', { datetime: l.logged_at, class: 'log-time', title: fmtTime(l.logged_at),
          text: new Date(l.logged_at).toLocaleTimeString() }),
        h('span', { class: 'log-attempt', title: `attempt ${l.attempt}`, text: `#${l.attempt}` }),
        h('span', { class: 'log-stream', text: l.stream }),
        h('span', { class: 'log-text', text: l.line })));
    }
    e.logsEl.parentElement.dataset.empty = e.logsEl.children.length === 0 ? '1' : '';
  }

  // readLogs reads the lines after e.follow (all of them the first time).
  async function readLogs(e) {
    for (let pages = 0; pages < 20; pages++) {
      const q = e.follow ? `?limit=5000&cursor=${encodeURIComponent(e.follow)}` : '?limit=5000';
      const page = await get(`/tasks/${e.task.task_run_id}/logs${q}`);
      appendLogs(e, page.items);
      e.follow = page.follow_cursor || e.follow;
      if (!page.next_cursor) break;
    }
  }

  async function loadDetail(e) {
    if (e.loading) return;
    e.loading = true;
    try {
      const tr = await get(`/tasks/${e.task.task_run_id}`);
      e.attempts = tr.attempts;
      renderAttempts(e);
      await readLogs(e);
    } catch (err) {
      failed(err);
    } finally {
      e.loading = false;
    }
    // a task still going: new lines are read every second
    if (e.open && !FINAL.has(e.task.status) && !e.poll) {
      e.poll = setInterval(async () => {
        if (FINAL.has(e.task.status)) {
          clearInterval(e.poll);
          e.poll = null;
          loadDetail(e);
          return;
        }
        try {
          await readLogs(e);
        } catch (err) {
          failed(err);
        }
      }, 1000);
    }
  }

  function renderTasks() {
    const order = [];
    for (const t of tasks) {
      const e = rowFor(t);
      renderTask(e);
      order.push(e.tr, e.detail);
    }
    const current = Array.from(tbody.children);
    if (current.length !== order.length || current.some((x, i) => x !== order[i])) tbody.append(...order);
  }

  async function reload() {
    try {
      const [r, ts] = await Promise.all([get(`/runs/${id}`), get(`/runs/${id}/tasks`)]);
      const wasFinal = run && FINAL.has(run.status);
      run = r;
      tasks = ts.items;
      renderSummary();
      renderTimeline();
      renderTasks();
      for (const e of rows.values()) {
        if (e.open && (!e.poll || FINAL.has(e.task.status))) loadDetail(e);
      }
      if (!wasFinal && FINAL.has(run.status)) refreshRelTimes(node);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        setView(notFoundView(`There is no run ${id}.`));
        return;
      }
      failed(e);
    }
  }
  const reloadSoon = debounce(reload, 150);

  function onEvent(kind, ev) {
    if (ev.run_id !== id) return;
    reloadSoon();
  }

  const tick = setInterval(() => {
    if (!run) return;
    if (!FINAL.has(run.status)) {
      renderTimeline();
      const d = node.querySelector('.run-duration');
      if (d) d.textContent = fmtDuration(runDurationMs(run));
      for (const e of rows.values()) {
        if (e.task.status === 'running') e.cells.duration.textContent = fmtDuration(runDurationMs(e.task));
      }
    }
    refreshRelTimes(node);
  }, 1000);

  reload().then(() => focusHeading(node));
  return {
    name: 'run', node, onEvent, refresh: reload,
    dispose() {
      clearInterval(tick);
      for (const e of rows.values()) clearInterval(e.poll);
    },
  };
}

function notFoundView(message) {
  setTitle('Not found');
  return {
    name: 'notfound',
    node: h('div', { class: 'view' }, h('h1', { text: 'Not found' }),
      h('p', { text: message || 'There is nothing at this address.' }),
      h('p', {}, h('a', { href: '#/', text: 'Back to the jobs' }))),
  };
}

// ---- start ----------------------------------------------------------

async function boot() {
  onUnauthorized(() => endSession('Your session has ended: sign in again.'));
  document.getElementById('logout').addEventListener('click', signOut);
  // the hash is the router's: the skip link moves the focus instead
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    main().focus();
  });
  window.addEventListener('hashchange', () => {
    route();
    if (state.view) focusHeading(state.view.node);
  });
  if (!token()) {
    showLogin();
    return;
  }
  try {
    const me = await get('/auth/me');
    startSession(me);
    route();
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 401)) showLogin(e.message);
  }
}

boot();
