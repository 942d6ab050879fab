// api.js - calls to ork-api's REST API with the session's bearer token.
//
// The token from POST /auth/login lives in sessionStorage: it is gone
// when the tab closes, and every call sends it as "Authorization:
// Bearer". A 401 ends the session (onUnauthorized).

const TOKEN_KEY = 'ork.token';

let unauthorized = () => {};

export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function onUnauthorized(fn) {
  unauthorized = fn;
}

// request sends one call and returns the parsed JSON answer (null for
// 204); it throws ApiError with the API's error code and message.
export async function request(method, path, body, { auth = true, signal } = {}) {
  const headers = { Accept: 'application/json' };
  const t = token();
  if (auth && t) headers.Authorization = `Bearer ${t}`;
  const init = { method, headers, signal, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'ork-api cannot be reached');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    if (res.status === 401 && auth) unauthorized();
    throw new ApiError(res.status, err.code || 'http_' + res.status,
      err.message || `${method} ${path} answered ${res.status}`, err.field);
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
