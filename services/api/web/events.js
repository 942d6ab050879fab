// events.js - GET /events (server-sent events) read with fetch().
//
// EventSource cannot send an Authorization header, so the stream is read
// with fetch() and parsed here; the token never appears in a URL. After
// a broken connection it reconnects with Last-Event-ID (the id of the
// last event it got), so the server first replays what was missed.

export class EventStream {
  // headers() gives the request headers (the token may change);
  // onEvent(kind, data) gets every event; onState('live' | 'connecting'
  // | 'off', reconnected) tells how the stream is.
  constructor(headers, onEvent, onState) {
    this.headers = headers;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastId = null;
    this.retryMs = 2000;
    this.abort = null;
    this.gen = 0; // which start() the running loop belongs to
    this.running = false;
    this.connectedOnce = false;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.gen++;
    this.loop(this.gen);
  }

  // stop ends the stream; a later start() begins afresh.
  stop() {
    this.running = false;
    this.gen++;
    this.lastId = null;
    this.connectedOnce = false;
    if (this.abort) this.abort.abort();
    this.onState('off', false);
  }

  async loop(gen) {
    let failures = 0;
    while (this.gen === gen) {
      this.onState('connecting', false);
      const ok = await this.once();
      if (this.gen !== gen) break;
      this.onState('connecting', false);
      failures = ok ? 0 : failures + 1;
      // back off after repeated failures, up to 30 s
      const wait = Math.min(this.retryMs * Math.max(1, 2 ** (failures - 1)), 30000);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  // once reads one connection until it ends; true when it was open.
  async once() {
    const gen = this.gen;
    this.abort = new AbortController();
    const headers = { Accept: 'text/event-stream', ...this.headers() };
    if (this.lastId !== null) headers['Last-Event-ID'] = this.lastId;
    let res;
    try {
      res = await fetch('/events', { headers, signal: this.abort.signal, cache: 'no-store' });
    } catch {
      return false;
    }
    if (!res.ok || !res.body) {
      if (res.status === 401) this.onEvent('unauthorized', null);
      return false;
    }
    if (gen !== this.gen) return false;
    const reconnected = this.connectedOnce;
    this.connectedOnce = true;
    this.onState('live', reconnected);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    let ev = { id: null, event: 'message', data: [] };
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (gen !== this.gen) break;
        buf += value;
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            this.dispatch(ev);
            ev = { id: null, event: 'message', data: [] };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let val = colon < 0 ? '' : line.slice(colon + 1);
          if (val.startsWith(' ')) val = val.slice(1);
          if (field === 'data') ev.data.push(val);
          else if (field === 'event') ev.event = val;
          else if (field === 'id') ev.id = val;
          else if (field === 'retry' && /^\d+$/.test(val)) this.retryMs = Number(val);
        }
      }
    } catch {
      // aborted or broken: the loop reconnects
    }
    return true;
  }

  dispatch(ev) {
    if (ev.id !== null) this.lastId = ev.id;
    if (ev.data.length === 0) return;
    let data;
    try {
      data = JSON.parse(ev.data.join('\n'));
    } catch {
      return;
    }
    this.onEvent(ev.event, data);
  }
}
