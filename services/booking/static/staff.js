// The confidant's agenda: appointments, the calendar connection's state, working hours.
"use strict";
(function () {
  const main = document.getElementById("agenda");
  const t = JSON.parse(main.dataset.text);
  const token = (window.handover("staff") || {}).t;
  const problem = document.getElementById("problem");
  if (!token) { problem.textContent = t.no_token; problem.hidden = false; return; }
  const api = (path) => fetch(path, { headers: { Authorization: "Bearer " + token } });
  // Who this is, as the token says (booking checks the token on every call).
  const me = window.claims(token).sub;
  const lang = document.documentElement.lang;
  const item = (text) => { const li = document.createElement("li"); li.textContent = text; return li; };

  (async () => {
    const list = document.getElementById("appointments");
    const appointments = (await (await api("/v1/appointments")).json()).appointments || [];
    if (!appointments.length) list.append(item(t.none));
    for (const a of appointments) {
      const when = new Date(a.start).toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
      list.append(item(`${when}: ${a.mode}, ${t[a.status] || a.status}, ${a.id.slice(0, 8)}`));
    }
    const profile = await (await api(`/v1/confidants/${encodeURIComponent(me)}`)).json();
    const calendar = profile.calendar;
    const state = document.getElementById("calendar");
    if (!calendar) {
      state.textContent = t.not_connected;
    } else {
      const sync = calendar.sync || {};
      state.textContent = `${calendar.url}: ${t.last_success} ${sync.last_success || "-"}` +
        (sync.last_error ? `; ${t.last_error} ${sync.last_error}` : "");
    }
    const days = t.days.split(",");
    const hours = document.getElementById("hours");
    for (const [day, ranges] of Object.entries((profile.hours || {}).weekly || {})) {
      hours.append(item(`${days[Number(day)]}: ${ranges.map((r) => r.start + "–" + r.end).join(", ")}`));
    }
  })();
})();
