// A conversation for a case that came without a code (a mail, WhatsApp, a phone call): the
// confidant picks a kind and a form, sees her free times, and books one (a phone case: read
// out and chosen on the call) or proposes up to three; the proposal's message goes back to
// the case in the workspace, ready to send in the reporter's own channel.
import { allItems, client } from "/static/common/api.js";
import { $, say as sayIn, sayRefusal, textsOf } from "/static/common/dom.js";
import { claims, handover } from "/static/common/handover.js";

(function () {
  const main = $("plan");
  const t = textsOf(main);
  const problem = $("problem");
  const kept = handover("staff-plan");
  const caseId = new URLSearchParams(location.search).get("case");
  if (!kept || !caseId) { sayIn(problem, t.no_token); return; }
  const api = client(kept.t);
  const me = claims(kept.t).sub;
  const lang = document.documentElement.lang;
  const when = (start) => new Date(start).toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
  const caseLink = (extra) => `${main.dataset.intake}staff/cases/${caseId}` + (extra ? `#${new URLSearchParams(extra)}` : "");
  $("back").href = caseLink();
  $("reference").textContent = new URLSearchParams(location.search).get("ref") || "";
  let types = [];
  const chosen = new Set();

  async function slots() {
    const box = $("slots");
    for (const b of box.querySelectorAll("button, p")) b.remove();
    chosen.clear();
    const query = new URLSearchParams({ confidant_id: me, type_id: $("type").value });
    const answer = await api(`/v1/slots?${query}`);
    if (!answer.ok) { await sayRefusal(problem, t.failed, answer); return; }
    const found = (await answer.json()).slots.slice(0, 40);
    if (!found.length) { const p = document.createElement("p"); p.textContent = t.none; box.append(p); }
    for (const slot of found) {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = when(slot.start);
      b.setAttribute("aria-pressed", "false");
      b.addEventListener("click", () => {
        const on = !chosen.has(slot.start);
        if (on && chosen.size >= 3) return;
        if (on) chosen.add(slot.start); else chosen.delete(slot.start);
        b.setAttribute("aria-pressed", String(on));
      });
      box.append(b);
    }
  }

  function modes() {
    const kind = types.find((k) => k.id === $("type").value);
    const mode = $("mode");
    mode.replaceChildren(...(kind ? kind.modes : []).map((m) => new Option(t[m] || m, m)));
    place();
  }

  // On location: at one of the confidant's own places.
  function place() {
    $("place").hidden = $("mode").value !== "on_location";
  }

  // What the chosen form of conversation adds to a request: the place, on location.
  function where() {
    return $("mode").value === "on_location" ? { location_id: $("location").value } : {};
  }

  function shown(title, text, back) {
    $("choose").hidden = true;
    $("result-title").textContent = title;
    $("text").value = text;
    $("send").href = back;
    $("result").hidden = false;
    $("result").focus();
  }

  $("book").addEventListener("click", async () => {
    if (chosen.size !== 1) { sayIn(problem, t.times); return; }
    const body = { confidant_id: me, type_id: $("type").value, mode: $("mode").value, start: [...chosen][0], ...where() };
    const answer = await api(`/v1/cases/${caseId}/appointments`, "POST", body);
    if (answer.status !== 201) { await sayRefusal(problem, t.failed, answer); return; }
    const a = await answer.json();
    problem.hidden = true;
    const at = a.video_url || a.address || "";
    shown(t.booked, `${when(a.start)} · ${t[a.mode] || a.mode}${at ? `\n${at}` : ""}`, caseLink());
  });

  $("propose").addEventListener("click", async () => {
    if (!chosen.size) { sayIn(problem, t.times); return; }
    const body = { type_id: $("type").value, mode: $("mode").value, starts: [...chosen].sort(), ...where() };
    const answer = await api(`/v1/cases/${caseId}/proposals`, "POST", body);
    if (answer.status !== 201) { await sayRefusal(problem, t.failed, answer); return; }
    const made = await answer.json();
    problem.hidden = true;
    shown(t.propose, made.message, caseLink({ m: made.message }));
  });

  $("type").addEventListener("change", async () => { modes(); await slots(); });
  $("mode").addEventListener("change", place);

  (async () => {
    try {
      types = await allItems(api, "/v1/appointment-types");
    } catch (answer) {
      await sayRefusal(problem, t.failed, answer);
      return;
    }
    $("type").replaceChildren(...types.map((k) => new Option(k.name[lang] || k.name.nl || k.id, k.id)));
    const profile = await api(`/v1/confidants/${encodeURIComponent(me)}`);
    const places = profile.ok ? (await profile.json()).locations || [] : [];
    $("location").replaceChildren(...places.map((p) => new Option(`${p.name}, ${p.address}`, p.id)));
    modes();
    $("choose").hidden = false;
    await slots();
  })();
})();
