// The booking page: who the confidant is, a month of days with free times, how and where to
// meet; books, reschedules and cancels (after asking) through booking's own API. What is
// booked stays on the page after a reload: when, the video link or place, the calendar file.
import { allItems, client } from "/static/common/api.js";
import { $, say as sayIn, sayRefusal, textsOf } from "/static/common/dom.js";
import { handover } from "/static/common/handover.js";

(function () {
  const main = $("booking");
  const t = textsOf(main);
  const problem = $("problem");
  const say = (text) => sayIn(problem, text);

  if (new URLSearchParams(location.search).get("proposal")) return; // proposal.js's page
  const kept = handover("case"); // { t: the case token, c: the confidant }
  if (!kept) { say(t.no_token); return; }
  const api = client(kept.t);
  const lang = document.documentElement.lang;
  // Times in the employee's own time zone, as the browser knows it (and said in words).
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Amsterdam";
  const zoneName = new Intl.DateTimeFormat(lang, { timeZone: zone, timeZoneName: "long" })
    .formatToParts(new Date()).find((p) => p.type === "timeZoneName").value;
  const when = (start) => new Date(start).toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
  const pick = (text) => (text && typeof text === "object" ? text[lang] || text.nl || Object.values(text)[0] : text);

  const form = $("pick");
  const times = $("times");
  const mode = $("mode");
  let current = null; // the case's booked appointment, if it has one
  let chosen = null;
  let attempt = null; // one Idempotency-Key per chosen time: a double click books once
  let type = null;
  let confidant = null;
  const byDay = new Map(); // "2026-12-03" -> slots
  let months = []; // "2026-12", in order
  let month = 0;

  const pressButton = (label, onPick, aria) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (aria) b.setAttribute("aria-label", aria);
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      for (const other of b.parentElement.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-pressed", "true");
      onPick();
    });
    return b;
  };

  // Where it happens, as an element: the video link, the address, the meeting point and
  // whether the confidant confirmed it, or else how.
  function where(a) {
    const p = document.createElement("span");
    p.append(`${t.where}: `);
    if (a.video_url) {
      const link = document.createElement("a");
      link.href = a.video_url;
      link.textContent = a.video_url;
      p.append(link);
    } else if (a.meeting_point) {
      p.append(`${a.meeting_point.text} (${t["point_" + a.meeting_point.state]})`);
    } else {
      p.append(a.address || t[a.mode] || a.mode);
    }
    return p;
  }

  async function icsLink(a, link) {
    const answer = await api(`/v1/appointments/${a.id}.ics`);
    if (answer.ok) link.href = URL.createObjectURL(await answer.blob());
  }

  function showCurrent() {
    $("current").hidden = !current;
    if (!current) return;
    $("current-when").textContent = when(current.start);
    $("current-where").replaceChildren(where(current));
    icsLink(current, $("current-ics"));
    const placed = current.mode === "walk" || (current.mode === "on_location" && !current.address);
    $("point-form").hidden = !placed;
    if (placed) $("point-change").value = (current.meeting_point || {}).text || "";
  }

  function showMonth() {
    const grid = $("month");
    grid.replaceChildren();
    const [y, m] = months[month].split("-").map(Number);
    $("month-name").textContent = new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString(
      lang, { month: "long", year: "numeric", timeZone: "UTC" });
    $("month-back").disabled = month === 0;
    $("month-next").disabled = month === months.length - 1;
    for (let d = 0; d < 7; d++) {  // weekday names, Monday first (1 January 2024 was one)
      const name = document.createElement("span");
      name.className = "weekday";
      name.setAttribute("aria-hidden", "true");
      name.textContent = new Date(Date.UTC(2024, 0, 1 + d)).toLocaleDateString(lang, { weekday: "short", timeZone: "UTC" });
      grid.append(name);
    }
    const first = new Date(Date.UTC(y, m - 1, 1));
    for (let i = 0; i < (first.getUTCDay() + 6) % 7; i++) grid.append(document.createElement("span"));
    const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    for (let d = 1; d <= days; d++) {
      const day = `${months[month]}-${String(d).padStart(2, "0")}`;
      const full = new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(
        lang, { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
      if (byDay.has(day)) {
        grid.append(pressButton(String(d), () => showTimes(day, full), full));
      } else {
        const span = document.createElement("span");
        span.className = "day";
        span.textContent = String(d);
        grid.append(span);
      }
    }
  }

  function showTimes(day, full) {
    for (const old of times.querySelectorAll("button")) old.remove();
    $("times-title").textContent = `${t.time}: ${full}`;
    for (const s of byDay.get(day)) {
      times.append(pressButton(s.start.slice(11, 16), () => { chosen = s.start; attempt = crypto.randomUUID(); }));
    }
    times.hidden = false;
  }

  function showPlace() {
    const elsewhere = $("location").value === "elsewhere";
    $("place").hidden = mode.value !== "on_location";
    $("point").hidden = !(mode.value === "walk" || (mode.value === "on_location" && elsewhere));
    $("meeting-point").required = mode.value === "on_location" && elsewhere;
    // By phone: the number the confidant calls (sealed; shown to the confidant only).
    $("by-phone").hidden = mode.value !== "phone";
    $("phone").required = mode.value === "phone";
  }

  async function load() {
    const [types, profile, mine] = await Promise.all([
      api("/v1/appointment-types").then((r) => r.json()),
      api(`/v1/confidants/${encodeURIComponent(kept.c)}`).then((r) => (r.ok ? r.json() : null)),
      allItems(api, "/v1/appointments").then((items) => ({ items })),
    ]);
    type = (types.items || [])[0] || null;
    confidant = profile;
    if (confidant) {
      $("who-name").textContent = confidant.display_name;
      $("who-bio").textContent = pick(confidant.bio) || "";
      $("who").hidden = false;
    }
    if (type) {
      $("facts").textContent = `${t.duration.replace("%s", type.duration_min)} ${t.zone.replace("%s", zoneName)}`;
      for (const m of type.modes) {
        const option = document.createElement("option");
        option.value = m; option.textContent = t[m] || m;
        mode.append(option);
      }
    }
    for (const place of (confidant && confidant.locations) || []) {
      const option = document.createElement("option");
      option.value = place.id; option.textContent = `${place.name}, ${place.address}`;
      $("location").append(option);
    }
    const elsewhere = document.createElement("option");
    elsewhere.value = "elsewhere"; elsewhere.textContent = t.elsewhere;
    $("location").append(elsewhere);
    showPlace();

    current = (mine.items || []).find((a) => a.status === "booked" && new Date(a.end) > new Date()) || null;
    showCurrent();
    if (!type) { if (!current) say(t.none); return; }
    const answer = await api(`/v1/slots?confidant_id=${encodeURIComponent(kept.c)}&type_id=${encodeURIComponent(type.id)}&timezone=${encodeURIComponent(zone)}`);
    const slots = answer.ok ? (await answer.json()).slots : [];
    for (const s of slots) {
      const day = s.start.slice(0, 10);  // the date where the employee is (the slot's offset)
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(s);
    }
    months = [...new Set([...byDay.keys()].map((d) => d.slice(0, 7)))];
    if (!slots.length) { if (!current) say(t.none); return; }
    showMonth();
    if (!current) form.hidden = false;
  }

  $("month-back").addEventListener("click", () => { month -= 1; showMonth(); });
  $("month-next").addEventListener("click", () => { month += 1; showMonth(); });
  mode.addEventListener("change", showPlace);
  $("location").addEventListener("change", showPlace);

  $("move").addEventListener("click", () => { form.hidden = false; $("days").scrollIntoView(); });
  $("cancel").addEventListener("click", () => { $("confirm-cancel").hidden = false; $("cancel-yes").focus(); });
  $("cancel-no").addEventListener("click", () => { $("confirm-cancel").hidden = true; $("cancel").focus(); });
  $("cancel-yes").addEventListener("click", async () => {
    const answer = await api(`/v1/appointments/${current.id}/cancel`, "POST");
    $("confirm-cancel").hidden = true;
    if (answer.status !== 200) { await sayRefusal(problem, t.failed, answer); return; }
    current = null;
    showCurrent();
    say(t.cancelled);
    if (months.length) form.hidden = false;
  });

  $("point-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await api(`/v1/appointments/${current.id}/meeting-point`, "PUT",
                             { text: $("point-change").value.trim() });
    if (answer.status !== 200) { await sayRefusal(problem, t.failed, answer); return; }
    problem.hidden = true;
    current = await answer.json();
    showCurrent();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    if (!chosen) { say(t.time); return; }
    const body = { confidant_id: kept.c, type_id: type.id, start: chosen, mode: mode.value };
    const point = $("meeting-point").value.trim();
    if (!$("point").hidden && point) body.meeting_point = point;
    if (mode.value === "on_location" && $("location").value !== "elsewhere") body.location_id = $("location").value;
    if (mode.value === "phone") body.phone = $("phone").value.trim();
    const answer = current
      ? await api(`/v1/appointments/${current.id}/reschedule`, "POST", { start: chosen })
      : await api("/v1/appointments", "POST", body, { "Idempotency-Key": attempt });
    if (answer.status === 409) { say(t.taken); return; }
    if (answer.status !== 201 && answer.status !== 200) { await sayRefusal(problem, t.failed, answer); return; }
    const data = await answer.json();
    form.hidden = true;
    $("current").hidden = true;
    if (current) $("done-title").textContent = t.moved;
    current = data;
    $("when").textContent = when(data.start);
    $("where").replaceChildren(where(data));
    await icsLink(data, $("ics"));
    const done = $("done");
    done.hidden = false;
    done.focus();
  });

  load();
})();
