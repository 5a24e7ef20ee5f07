// The booking page: days, then times, then the mode; books through booking's own API.
"use strict";
(function () {
  const main = document.getElementById("booking");
  const t = JSON.parse(main.dataset.text);
  const problem = document.getElementById("problem");
  const say = (text) => { problem.textContent = text; problem.hidden = false; };

  const kept = window.handover("case"); // { t: the case token, c: the confidant }
  if (!kept) { say(t.no_token); return; }
  const headers = { Authorization: "Bearer " + kept.t };
  const api = (path, options) => fetch(apiUrl(path), Object.assign({ headers }, options || {}));

  const form = document.getElementById("pick");
  const days = document.getElementById("days");
  const times = document.getElementById("times");
  const mode = document.getElementById("mode");
  let current = null; // the case's booked appointment, if it has one
  let chosen = null;
  let attempt = null; // one Idempotency-Key per chosen time: a double click books once
  let typeId = null;

  const button = (label, onPick) => {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.setAttribute("aria-pressed", "false");
    b.addEventListener("click", () => {
      for (const other of b.parentElement.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-pressed", "true");
      onPick();
    });
    return b;
  };

  async function load() {
    const types = (await (await api("/v1/appointment-types")).json()).types || [];
    if (!types.length) { say(t.none); return; }
    typeId = types[0].id;
    for (const m of types[0].modes) {
      const option = document.createElement("option");
      option.value = m; option.textContent = t[m] || m;
      mode.append(option);
    }
    // Times in the employee's own time zone, as the browser knows it.
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "Europe/Amsterdam";
    const answer = await api(`/v1/slots?confidant_id=${encodeURIComponent(kept.c)}&type_id=${encodeURIComponent(typeId)}&timezone=${encodeURIComponent(zone)}`);
    const slots = answer.ok ? (await answer.json()).slots : [];
    if (!slots.length) { say(t.none); return; }
    const byDay = new Map();
    for (const s of slots) {
      const day = s.start.slice(0, 10);
      if (!byDay.has(day)) byDay.set(day, []);
      byDay.get(day).push(s);
    }
    const lang = document.documentElement.lang;
    for (const [day, list] of byDay) {
      const label = new Date(day + "T12:00:00").toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long" });
      days.append(button(label, () => {
        for (const old of times.querySelectorAll("button")) old.remove();
        for (const s of list) times.append(button(s.start.slice(11, 16), () => { chosen = s.start; attempt = crypto.randomUUID(); }));
        times.hidden = false;
      }));
    }
    const mine = (await (await api("/v1/appointments")).json()).appointments || [];
    current = mine.find((a) => a.status === "booked" && new Date(a.end) > new Date()) || null;
    if (current) {
      document.getElementById("current-when").textContent = when(current.start);
      document.getElementById("current").hidden = false;
    } else {
      form.hidden = false;
    }
  }

  const when = (start) => new Date(start).toLocaleString(document.documentElement.lang,
    { dateStyle: "full", timeStyle: "short" });

  document.getElementById("move").addEventListener("click", () => { form.hidden = false; });
  document.getElementById("cancel").addEventListener("click", async () => {
    const answer = await api(`/v1/appointments/${current.id}/cancel`, { method: "POST" });
    if (answer.status !== 200) { say(String(answer.status)); return; }
    current = null;
    document.getElementById("current").hidden = true;
    say(t.cancelled);
    form.hidden = false;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    if (!chosen) { say(t.time); return; }
    const json = Object.assign({ "Content-Type": "application/json" }, headers);
    const answer = current
      ? await api(`/v1/appointments/${current.id}/reschedule`, {
          method: "POST", headers: json, body: JSON.stringify({ start: chosen }),
        })
      : await api("/v1/appointments", {
          method: "POST",
          headers: Object.assign({ "Idempotency-Key": attempt }, json),
          body: JSON.stringify({ confidant_id: kept.c, type_id: typeId, start: chosen, mode: mode.value }),
        });
    const data = await answer.json();
    if (answer.status === 409) { say(t.taken); return; }
    if (answer.status !== 201 && answer.status !== 200) { say((data.error && data.error.message) || String(answer.status)); return; }
    form.hidden = true;
    document.getElementById("current").hidden = true;
    if (current) document.getElementById("done-title").textContent = t.moved;
    current = data;
    document.getElementById("when").textContent = when(data.start);
    document.getElementById("where").textContent = t.where + ": " + (data.video_url || data.address || t[data.mode] || data.mode);
    const ics = await api(`/v1/appointments/${data.id}.ics`);
    document.getElementById("ics").href = URL.createObjectURL(await ics.blob());
    const done = document.getElementById("done");
    done.hidden = false;
    done.focus();
  });

  load();
})();
