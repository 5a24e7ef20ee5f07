// Talking to the suite's /v1 APIs from a page: where an API is, the page's token on every
// call, lists read page by page, and what an API said when it refused.

// Where an API is: "/" on the service's own address, "/api/<service>/" behind the front door
// (the page says which in <meta name="vertrouwd-api">), or ``base`` for another service's.
export function apiUrl(path, base) {
  const meta = document.querySelector('meta[name="vertrouwd-api"]');
  return (base || (meta ? meta.content : "/")).replace(/\/$/, "") + path;
}

// The one way a page calls an API: api(path) reads; api(path, method, body, headers) changes,
// the body sent as JSON. With a token, it goes along as the bearer.
export function client(token, base) {
  return (path, method = "GET", body = undefined, headers = {}) => fetch(apiUrl(path, base), {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

// What an API said when it refused: its message and the fields it found wrong, in one line
// (every service answers errors as {"error": {"code", "message", "fields"}}).
export async function refusal(answer) {
  try {
    const error = (await answer.json()).error || {};
    const fields = Object.entries(error.fields || {}).map(([field, why]) => `${field}: ${why}`);
    return [error.message, ...fields].filter(Boolean).join("; ") || String(answer.status);
  } catch {
    return String(answer.status); // not JSON (a proxy's page, say): the status says enough
  }
}

// Every item of a list, page by page: each list answers {"items": [...], "next": cursor}.
// ``api`` is a client(); a refusal is thrown as the answer.
export async function allItems(api, path) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const answer = await api(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    if (!answer.ok) throw answer;
    const page = await answer.json();
    items.push(...(page.items || []));
    cursor = page.next;
  } while (cursor);
  return items;
}
