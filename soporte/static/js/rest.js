// State-changing calls to the JSON API: the page's CSRF token on each, the server's error text back.

/**
 * Send a JSON request (POST, PUT, PATCH, DELETE) with the page's CSRF token.
 * Resolves to the answer's JSON; rejects with an Error whose message is the server's
 * `error` text (Spanish, the protocol's) or the status, and whose `status` is the HTTP status.
 */
export async function sendJSON(method, url, body, csrf) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrf };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store",
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
