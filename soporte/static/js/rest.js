// State-changing calls to the JSON API: the page's CSRF token on each, the server's error text back.
// A page without the login cookie (the embeddable widget) sends a bearer token instead: useBearer().

let bearer = null; // () => the token, on a page authenticated by the Authorization header
let language = null; // the bearer page's language (?lang=): it has no language cookie of ours

/**
 * Authenticate this page's API calls with `Authorization: Bearer <token()>` (no cookie, no CSRF),
 * asking the server's answers (its error texts) in `lang` when given.
 */
export function useBearer(token, { lang = null } = {}) {
  bearer = token;
  language = lang;
}

/** Whether this page authenticates by the bearer header (the widget) rather than the cookie. */
export function usesBearer() {
  return Boolean(bearer);
}

/** An API URL with the bearer page's language as ?lang= (soporte/web/i18n.py); as given on a cookie page. */
export function withLanguage(url) {
  if (!bearer || !language) return url;
  const full = new URL(url, window.location.href);
  full.searchParams.set("lang", language);
  return full.origin === window.location.origin ? full.pathname + full.search : full.href;
}

/** GET a resource with the bearer header (never a cookie) and the page's language: fetch's Response. */
export function bearerFetch(url) {
  return fetch(withLanguage(url), { headers: authHeaders(), cache: "no-store", credentials: "omit" });
}

/** The headers that authenticate a request of this page: the bearer token's, or none (the cookie goes by itself). */
export function authHeaders() {
  const token = bearer && bearer();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** getJSON's refusal when the login is over (a 401): the page already says so, no retry link. */
export class SessionExpired extends Error {}

let expired = () => {}; // what the page does on a 401

/** What this page does when a GET finds its login over: say so (and forget a kept token). */
export function onSessionExpired(handler) {
  expired = handler;
}

/** GET a JSON resource of the API with this page's credentials; a 401 tells the page and throws SessionExpired. */
export async function getJSON(url) {
  const response = await fetch(withLanguage(url), {
    headers: { Accept: "application/json", ...authHeaders() }, cache: "no-store",
    credentials: bearer ? "omit" : "same-origin", // a bearer page never leans on a cookie
  });
  if (response.status === 401) {
    expired();
    throw new SessionExpired();
  }
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** A same-origin URL (path and query) with these query parameters set. */
export function withParams(base, params) {
  const url = new URL(base, window.location.href);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.pathname + url.search;
}

/**
 * Send a JSON request (POST, PUT, PATCH, DELETE) with the page's CSRF token.
 * Resolves to the answer's JSON; rejects with an Error whose message is the server's
 * `error` text (Spanish, the protocol's) or the status, and whose `status` is the HTTP status.
 */
export async function sendJSON(method, url, body, csrf) {
  const headers = { Accept: "application/json", ...authHeaders() };
  if (!bearer) headers["X-CSRFToken"] = csrf; // the cookie is ambient: CSRF guards it
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(withLanguage(url), {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
    credentials: bearer ? "omit" : "same-origin", // a bearer page never leans on a cookie
  });
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    /* not JSON: the status says what happened */
  }
  if (!response.ok) {
    const failure = new Error((data && data.error) || String(response.status));
    failure.status = response.status;
    throw failure;
  }
  return data;
}

/** A URL of the page's data-url-* templates with the customer's username in place of USUARIO. */
export function forCustomer(template, username) {
  return template.replace("USUARIO", encodeURIComponent(username));
}
