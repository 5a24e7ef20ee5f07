// The confidant's agenda: appointments (cancel one), the calendar connection (make or change
// it, update now, its state) and availability (weekly hours, absences). Every change goes to
// booking's /v1 API, which checks it again; what it refuses is shown with its reason.
"use strict";
(function () {
  const main = document.getElementById("agenda");
  const t = JSON.parse(main.dataset.text);
  const $ = (id) => document.getElementById(id);
  const token = (window.handover("agenda") || {}).t;
  const problem = $("problem");
  if (!token) { problem.textContent = t.no_token; problem.hidden = false; return; }
  const api = (path, method, body) => fetch(apiUrl(path), {
    method: method || "GET",
    headers: Object.assign({ Authorization: "Bearer " + token },
                           body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  // Whose page this is, as the token says (booking checks the token on every call).
  const me = encodeURIComponent(window.claims(token).sub);
  const lang = document.documentElement.lang;
  const item = (text) => { const li = document.createElement("li"); li.textContent = text; return li; };
  let profile = null;
  // Times and days are the confidant's own, in their time zone, wherever the browser is.
  const zone = () => (profile && profile.timezone) || undefined;
  const when = (iso, style) => new Date(iso).toLocaleString(
    lang, Object.assign({ timeZone: zone() }, style || { dateStyle: "full", timeStyle: "short" }));
  // The instant a day starts in the confidant's time zone (its offset asked of Intl).
  function midnight(isoDate, days) {
    const [y, m, d] = isoDate.split("-").map(Number);
    const guess = Date.UTC(y, m - 1, d + (days || 0));
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: zone(), hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
      hour: "numeric", minute: "numeric", second: "numeric",
    }).formatToParts(new Date(guess)).map((p) => [p.type, Number(p.value)]));
    const seen = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
    return new Date(guess - (seen - guess));
  }

  async function ok(answer, expected) {
    if (answer.status === expected) { problem.hidden = true; return true; }
    problem.textContent = `${t.failed}: ${await window.refusal(answer)}`;
    problem.hidden = false;
    return false;
  }


  async function appointments() {
    const list = $("appointments");
    const all = (await (await api("/v1/appointments")).json()).appointments || [];
    list.replaceChildren();
    if (!all.length) list.append(item(t.none));
    for (const a of all) {
      const li = item(`${when(a.start)}: ${t["mode_" + a.mode] || a.mode}, ${t[a.status] || a.status} `);
      // Where it happens, and the case it belongs to (the workspace opens it).
      if (a.video_url) li.append(window.link(a.video_url, t.video), " ");
      if (a.address) li.append(document.createTextNode(`${a.address} `));
      li.append(window.link(`${document.getElementById("agenda").dataset.intake}staff/cases/${a.case_id}`, t.open_case), " ");
      if (a.calendar_write && a.calendar_write.state === "failed") {
        const warn = document.createElement("strong");
        warn.textContent = `(${t.write_failed}) `;
        li.append(warn);
      }
      if (a.status === "booked") {
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "secondary";
        cancel.textContent = t.cancel;
        cancel.setAttribute("aria-label", `${t.cancel}: ${when(a.start)}`);
        cancel.addEventListener("click", async () => {
          if (await ok(await api(`/v1/appointments/${a.id}/cancel`, "POST"), 200)) await appointments();
        });
        li.append(cancel);
      }
      list.append(li);
    }
  }

  function calendar() {
    const connected = profile.calendar;
    $("sync").hidden = !connected;
    $("connect-title").textContent = connected ? t.change_connection : t.connect;
    if (!connected) { $("calendar").textContent = t.not_connected; return; }
    const sync = connected.sync || {};
    const last = sync.last_success ? when(sync.last_success, { dateStyle: "medium", timeStyle: "short" }) : t.never;
    $("calendar").textContent = `${t.connected}: ${connected.url}. ${t.last_success}: ${last}` +
      (sync.last_error ? `. ${t.last_error}: ${sync.last_error}` : "");
    $("cal-url").value = connected.url;
    $("cal-user").value = connected.username || "";
  }

  // "09:00-12:00, 13:00-17:00" <-> [{start, end}, ...]
  const show = (ranges) => ranges.map((r) => `${r.start}-${r.end}`).join(", ");
  function parse(text) {
    const parts = text.split(",").map((p) => p.trim()).filter(Boolean);
    return parts.map((p) => {
      const m = /^(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})$/.exec(p);
      if (!m) throw new Error(p);
      return { start: m[1].padStart(5, "0"), end: m[2].padStart(5, "0") };
    });
  }

  function hours() {
    const weekly = (profile.hours || {}).weekly || {};
    for (const input of document.querySelectorAll("[data-day]")) {
      input.value = show(weekly[input.dataset.day] || []);
      input.removeAttribute("aria-invalid");
    }
    const list = $("absences");
    list.replaceChildren();
    const away = (profile.hours || {}).absences || [];
    if (!away.length) list.append(item(t.no_absences));
    away.forEach((a, index) => {
      // An absence ends at the midnight after its last day.
      const last = new Date(new Date(a.end).getTime() - 1);
      const day = { dateStyle: "long" };
      const li = item(`${when(a.start, day)} – ${when(last.toISOString(), day)} `);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = t.remove;
      remove.setAttribute("aria-label", `${t.remove}: ${li.textContent.trim()}`);
      remove.addEventListener("click", () => saveHours({ absences: away.filter((_, i) => i !== index) }));
      li.append(remove);
      list.append(li);
    });
  }

  // Hours are replaced as a whole: what is not changed here is sent back as it was.
  async function saveHours(change) {
    const current = profile.hours || { weekly: {}, overrides: {}, absences: [] };
    const body = Object.assign({ weekly: current.weekly || {}, overrides: current.overrides || {},
                                 absences: current.absences || [] }, change);
    const answer = await api(`/v1/confidants/${me}/hours`, "PUT", body);
    if (!(await ok(answer, 200))) return false;
    profile = await answer.json();
    hours();
    return true;
  }

  async function load() {
    profile = await (await api(`/v1/confidants/${me}`)).json();
    calendar();
    hours();
  }

  $("hours-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("hours-done").textContent = "";
    const weekly = {};
    for (const input of document.querySelectorAll("[data-day]")) {
      try {
        const ranges = parse(input.value);
        if (ranges.length) weekly[input.dataset.day] = ranges;
        input.removeAttribute("aria-invalid");
      } catch (_) {
        input.setAttribute("aria-invalid", "true");
        problem.textContent = `${t.bad_range}: ${input.labels[0].textContent} "${input.value}"`;
        problem.hidden = false;
        input.focus();
        return;
      }
    }
    if (await saveHours({ weekly })) $("hours-done").textContent = t.saved;
  });

  $("absence-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    // Whole days: from the first day's midnight to the midnight after the last day.
    const start = midnight($("away-from").value), end = midnight($("away-until").value, 1);
    const absences = ((profile.hours || {}).absences || []).concat(
      [{ start: start.toISOString(), end: end.toISOString() }]);
    if (await saveHours({ absences })) event.target.reset();
  });

  $("connect").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button");
    button.disabled = true;  // connecting checks the server: it takes a moment
    $("calendar").textContent = "…";
    const answer = await api(`/v1/confidants/${me}/calendar`, "PUT", {
      url: $("cal-url").value.trim(), username: $("cal-user").value.trim(),
      password: $("cal-password").value,
    });
    button.disabled = false;
    $("cal-password").value = "";
    if (await ok(answer, 200)) {
      profile = await answer.json();
      const found = $("calendars");
      found.replaceChildren(...(profile.calendars || []).map((c) => item(c.name || c.url)));
      $("found").hidden = false;
      $("connecting").open = false;
    }
    calendar();
  });

  $("sync").addEventListener("click", async () => {
    $("calendar").textContent = "…";
    const answer = await api(`/v1/confidants/${me}/calendar/sync`, "POST");
    if (await ok(answer, 200)) profile = await answer.json();
    calendar();
  });

  load().then(appointments);
})();
