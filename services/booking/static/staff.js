// The confidant's agenda: a week view (appointments and the busy time from their own
// calendar, day by day), appointments (cancel one), the calendar connection (make or change
// it, update now, its state) and availability (weekly hours, absences). Every change goes to
// booking's /v1 API, which checks it again; what it refuses is shown with its reason.
import { allItems, client } from "/static/common/api.js";
import { $, item, labelled, link, say, sayRefusal, succeeded, textsOf } from "/static/common/dom.js";
import { claims, handover } from "/static/common/handover.js";

(function () {
  const main = $("agenda");
  const t = textsOf(main);
  const token = (handover("agenda") || {}).t;
  const problem = $("problem");
  if (!token) { say(problem, t.no_token); return; }
  const api = client(token);
  // Whose page this is, as the token says (booking checks the token on every call).
  const me = encodeURIComponent(claims(token).sub);
  const lang = document.documentElement.lang;
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

  const ok = (answer, expected) => succeeded(problem, t.failed, answer, expected);


  // The case in the workspace, named by its reference (intake's page opens either).
  // An organisation's meeting with the firm has no case: it says so instead.
  const caseLink = (a) => (a.meeting === "organisation"
    ? document.createTextNode(t.org_meeting)
    : link(`${main.dataset.intake}staff/cases/${a.reference || a.case_id}`,
      a.reference ? `${t.case} ${a.reference}` : t.open_case));

  // -- the week ------------------------------------------------------------------------------
  // Days are ISO dates ("2026-12-07") in the confidant's time zone; a week starts on Monday.
  const isoDay = (instant) => new Intl.DateTimeFormat("en-CA", {
    timeZone: zone(), year: "numeric", month: "2-digit", day: "2-digit",
  }).format(instant);
  const addDays = (day, n) => {
    const [y, m, d] = day.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
  };
  const mondayOf = (day) => {
    const [y, m, d] = day.split("-").map(Number);
    return addDays(day, -((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7));
  };
  const clock = (instant) => when(instant.toISOString(), { timeStyle: "short" });
  let weekStart = null;

  // What fills a day: appointments and busy time that overlap it, cut to the day, by time.
  function dayItems(first, last, appointments, busy) {
    const items = [];
    const cut = (s, e) => [new Date(Math.max(s, first)), new Date(Math.min(e, last))];
    for (const a of appointments) {
      const s = new Date(a.start), e = new Date(a.end);
      if (a.status === "booked" && s < last && e > first) items.push({ at: cut(s, e), a });
    }
    for (const b of busy) {
      const s = new Date(b.start), e = new Date(b.end);
      if (s < last && e > first) items.push({ at: cut(s, e) });
    }
    return items.sort((x, y) => x.at[0] - y.at[0]);
  }

  function dayEntry(item) {
    const li = document.createElement("li");
    const span = `${clock(item.at[0])}–${clock(item.at[1])} `;
    if (!item.a) {
      li.className = "busy";
      li.textContent = `${span}${t.busy}`;
      return li;
    }
    const a = item.a;
    li.append(`${span}${t["mode_" + a.mode] || a.mode} `, caseLink(a));
    if (a.video_url) li.append(" ", link(a.video_url, t.video));
    // By phone: the number to call, as the reporter gave it (the confidant's eyes only).
    if (a.phone) li.append(" ", link(`tel:${a.phone.replace(/[^+\d]/g, "")}`, a.phone));
    if (a.address) li.append(` ${a.address}`);
    if (a.meeting_point) li.append(` ${a.meeting_point.text}`);
    return li;
  }

  function calendarState(found) {
    const at = found.last_success
      ? when(found.last_success, { dateStyle: "medium", timeStyle: "short" }) : t.never;
    if (found.calendar === "not_connected") return t.busy_not_connected;
    if (found.calendar === "stale") return `${t.busy_stale} ${at}: ${t.busy_stale_after}.`;
    return `${t.busy_current} ${at}.`;
  }

  async function week() {
    const from = midnight(weekStart), to = midnight(weekStart, 7);
    const span = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;
    const [listed, busyAnswer] = await Promise.all([
      api(`/v1/appointments?${span}&limit=1000`), api(`/v1/confidants/${me}/calendar/busy?${span}`)]);
    // (A refusal here is shown, but success does not hide another action's message.)
    for (const answer of [listed, busyAnswer]) {
      if (answer.status !== 200) {
        await sayRefusal(problem, t.failed, answer);
        return;
      }
    }
    const all = (await listed.json()).items || [];
    const found = await busyAnswer.json();
    $("week-calendar").textContent = calendarState(found);
    $("week-title").textContent = `${t.week_of} ${when(from.toISOString(), { dateStyle: "long" })}`;
    const weekly = (profile.hours || {}).weekly || {};
    const overrides = (profile.hours || {}).overrides || {};
    const away = (profile.hours || {}).absences || [];
    const days = $("week");
    days.replaceChildren();
    for (let i = 0; i < 7; i++) {
      const first = midnight(weekStart, i), last = midnight(weekStart, i + 1);
      const li = document.createElement("li");
      const title = document.createElement("h3");
      title.textContent = when(first.toISOString(), { weekday: "long", day: "numeric", month: "long" });
      // A date's own hours (an override, [] a day off) before the weekday's.
      const day = addDays(weekStart, i);
      const hours = overrides[day] || weekly[String(i)] || [];
      const note = document.createElement("p");
      const absent = away.some((a) => new Date(a.start) < last && new Date(a.end) > first);
      note.textContent = absent ? t.away
        : hours.length ? `${t.working} ${show(hours)}` : t.day_off;
      const entries = document.createElement("ul");
      const items = dayItems(first, last, all, found.busy || []);
      entries.replaceChildren(...items.map(dayEntry));
      if (!items.length) entries.append(item(t.nothing));
      li.append(title, note, entries);
      days.append(li);
    }
  }

  const goWeek = (day) => { weekStart = mondayOf(day); return week(); };
  $("week-back").addEventListener("click", () => goWeek(addDays(weekStart, -7)));
  $("week-next").addEventListener("click", () => goWeek(addDays(weekStart, 7)));
  $("week-now").addEventListener("click", () => goWeek(isoDay(new Date())));

  async function appointments() {
    const list = $("appointments");
    const all = await allItems(api, "/v1/appointments");
    list.replaceChildren();
    if (!all.length) list.append(item(t.none));
    for (const a of all) {
      const li = item(`${when(a.start)}: ${t["mode_" + a.mode] || a.mode}, ${t[a.status] || a.status} `);
      // Where it happens, and the case it belongs to (the workspace opens it).
      if (a.video_url) li.append(link(a.video_url, t.video), " ");
      if (a.phone) li.append(link(`tel:${a.phone.replace(/[^+\d]/g, "")}`, a.phone), " ");
      if (a.address) li.append(document.createTextNode(`${a.address} `));
      li.append(caseLink(a), " ");
      if (a.status === "booked" && (a.mode === "walk" || (a.mode === "on_location" && !a.address))) {
        li.append(meetingPoint(a));
      }
      if (a.calendar_write && a.calendar_write.state === "failed") {
        const warn = document.createElement("strong");
        warn.textContent = `(${t.write_failed}) `;
        li.append(warn);
      }
      // Once it has begun: how it went (its real length, the travel), what billing counts.
      if (a.status === "booked" && new Date(a.start) <= new Date()) li.append(heldForm(a));
      if (a.status === "booked") {  // (one that did not take place too: not billed)
        const cancel = document.createElement("button");
        cancel.type = "button";
        cancel.className = "secondary";
        cancel.textContent = t.cancel;
        cancel.setAttribute("aria-label", `${t.cancel}: ${when(a.start)}`);
        cancel.addEventListener("click", async () => {
          if (await ok(await api(`/v1/appointments/${a.id}/cancel`, "POST"), 200)) {
            await appointments();
            await week();
          }
        });
        li.append(cancel);
      }
      list.append(li);
    }
  }

  // A local "YYYY-MM-DDTHH:MM" for a datetime-local field, in the confidant's zone.
  const localInput = (iso) => {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-CA", {
      timeZone: zone(), hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit",
    }).formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
  };
  // Back from the field to an instant: the field's time read in the confidant's zone.
  const fromInput = (value) => {
    const [day, time] = value.split("T");
    const [h, m] = time.split(":").map(Number);
    return new Date(midnight(day).getTime() + (h * 60 + m) * 60000).toISOString();
  };

  function heldForm(a) {
    const box = document.createElement("details");
    box.className = "held";
    const summary = document.createElement("summary");
    const held = a.held;
    summary.textContent = held
      ? `${t.held_done}: ${Math.round((new Date(held.ended_at) - new Date(held.started_at)) / 60000)} ${t.minutes}` +
        (held.km ? `, ${held.km} km` : "") + (held.travel_minutes ? `, ${t.travel} ${held.travel_minutes} ${t.minutes}` : "")
      : t.held_confirm;
    const form = document.createElement("form");
    const input = (type, value) => {
      const el = document.createElement("input");
      el.type = type;
      el.value = value;
      el.required = true;
      return el;
    };
    const start = labelled(form, `held-start-${a.id}`, t.held_start, input("datetime-local", localInput(held ? held.started_at : a.start)));
    const end = labelled(form, `held-end-${a.id}`, t.held_end, input("datetime-local", localInput(held ? held.ended_at : a.end)));
    const travels = a.mode === "walk" || a.mode === "on_location";
    let km = null, travel = null;
    if (travels) {
      km = labelled(form, `held-km-${a.id}`, t.held_km, input("number", held ? held.km : 0));
      km.min = "0"; km.max = "2000"; km.step = "0.1";
      travel = labelled(form, `held-travel-${a.id}`, t.held_travel, input("number", held ? held.travel_minutes : 0));
      travel.min = "0"; travel.max = "1440"; travel.step = "1";
    }
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "secondary";
    save.textContent = t.held_save;
    form.append(save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { started_at: fromInput(start.value), ended_at: fromInput(end.value) };
      if (travels) Object.assign(body, { km: Number(km.value || 0), travel_minutes: Number(travel.value || 0) });
      if (await ok(await api(`/v1/appointments/${a.id}/held`, "PUT", body), 200)) await appointments();
    });
    box.append(summary, form);
    return box;
  }

  // Where to meet for a walk or another place: the employee's proposal, confirmed here as
  // it is or changed (the employee sees which on their booking page).
  function meetingPoint(a) {
    const form = document.createElement("form");
    form.className = "meeting-point";
    const point = a.meeting_point;
    const state = document.createElement("p");
    state.textContent = point ? `${t.point}: ${point.text} (${t["point_" + point.state]})` : t.no_point;
    const input = document.createElement("input");
    input.id = `point-${a.id}`;
    input.value = point ? point.text : "";
    input.minLength = 2;
    input.maxLength = 200;
    input.required = true;
    const label = document.createElement("label");
    label.htmlFor = input.id;
    label.textContent = t.point_set;
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "secondary";
    save.textContent = t.point_confirm;
    form.append(state, label, input, save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await api(`/v1/appointments/${a.id}/meeting-point`, "PUT", { text: input.value.trim() });
      if (await ok(answer, 200)) { await appointments(); await week(); }
    });
    return form;
  }

  function calendar() {
    const connected = profile.calendar;
    $("sync").hidden = !connected;
    $("connect-title").textContent = connected ? t.change_connection : t.connect;
    if (!connected) { $("calendar").textContent = t.not_connected; return; }
    const sync = connected.sync || {};
    const last = sync.last_success ? when(sync.last_success, { dateStyle: "medium", timeStyle: "short" }) : t.never;
    const kind = connected.provider || "caldav";
    // A CalDAV server by its address; a provider by its name and the account's.
    const which = kind === "caldav" ? connected.url : `${t["name_" + kind]} (${connected.username})`;
    const error = sync.last_error ? t["error_" + sync.last_error] || sync.last_error : "";
    $("calendar").textContent = `${t.connected}: ${which}. ${t.last_success}: ${last}` +
      (error ? `. ${t.last_error}: ${error}` : "");
    if (kind === "caldav" || kind === "icloud") {
      document.querySelector(`input[name=kind][value=${kind}]`).checked = true;
      if (kind === "caldav") $("cal-url").value = connected.url;
      $("cal-user").value = connected.username || "";
      showKind();
    }
  }

  // iCloud needs no address (it is found), and says which password it wants.
  function showKind() {
    const icloud = document.querySelector("input[name=kind]:checked").value === "icloud";
    $("url-field").hidden = icloud;
    $("cal-url").required = !icloud;
    $("icloud-hint").hidden = !icloud;
    $("cal-user-label").textContent = $("cal-user-label").dataset[icloud ? "icloud" : "caldav"];
  }
  for (const radio of document.querySelectorAll("input[name=kind]")) {
    radio.addEventListener("change", showKind);
  }

  function showFound() {
    const found = $("calendars");
    found.replaceChildren(...(profile.calendars || []).map((c) => item(c.name || c.url)));
    $("found").hidden = false;
    $("connecting").open = false;
  }

  // Google and Microsoft: booking says where to consent; the provider sends the confidant
  // back here with a code and the state, which booking trades for a grant.
  for (const button of document.querySelectorAll("button[data-provider]")) {
    button.addEventListener("click", async () => {
      button.disabled = true;
      const answer = await api(`/v1/confidants/${me}/calendar/authorize`, "POST",
                               { provider: button.dataset.provider });
      button.disabled = false;
      if (!(await ok(answer, 200))) return;
      sessionStorage.setItem("agenda-lang", lang);  // the way back has no ?lang=
      location.assign((await answer.json()).authorize_url);
    });
  }

  async function comeBack() {
    const query = new URLSearchParams(location.search);
    if (!query.get("state") || !(query.get("code") || query.get("error"))) return;
    const wanted = sessionStorage.getItem("agenda-lang");
    if (wanted && wanted !== lang && !query.get("lang")) {
      query.set("lang", wanted);  // back in the language the confidant left in
      location.replace(`${location.pathname}?${query}`);
      return new Promise(() => {});  // this page is being replaced
    }
    sessionStorage.removeItem("agenda-lang");
    // The code is used once: out of the address bar (and of the history) at once.
    history.replaceState(null, "", location.pathname + (query.get("lang") ? `?lang=${query.get("lang")}` : ""));
    if (!query.get("code")) {
      say(problem, t.oauth_declined);
      return;
    }
    $("calendar").textContent = t.connecting;
    const answer = await api(`/v1/confidants/${me}/calendar/authorized`, "POST",
                             { state: query.get("state"), code: query.get("code") });
    if (await ok(answer, 200)) {
      profile = await answer.json();
      showFound();
    }
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
    await week();
    return true;
  }

  async function load() {
    profile = await (await api(`/v1/confidants/${me}`)).json();
    await comeBack();
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
      } catch {
        input.setAttribute("aria-invalid", "true");
        say(problem, `${t.bad_range}: ${input.labels[0].textContent} "${input.value}"`);
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
    const kind = document.querySelector("input[name=kind]:checked").value;
    const answer = await api(`/v1/confidants/${me}/calendar`, "PUT", Object.assign({
      provider: kind, username: $("cal-user").value.trim(), password: $("cal-password").value,
    }, kind === "caldav" ? { url: $("cal-url").value.trim() } : {}));
    button.disabled = false;
    $("cal-password").value = "";
    if (await ok(answer, 200)) {
      profile = await answer.json();
      showFound();
    }
    calendar();
    await week();
  });

  $("sync").addEventListener("click", async () => {
    $("calendar").textContent = "…";
    const answer = await api(`/v1/confidants/${me}/calendar/sync`, "POST");
    if (await ok(answer, 200)) profile = await answer.json();
    calendar();
    await week();
  });

  load().then(() => Promise.all([appointments(), goWeek(isoDay(new Date()))]));
})();
