// The organisation admin's page: the organisation's name, its published yearly reports and
// usage statements (read and download in HTML, PDF, CSV), its invoices (PDF and UBL
// e-invoice), the signals passed on (what
// about, and the confidant's note), and its webhooks (through notify's API, when the page
// is behind the front door). Nothing about a single case is anywhere on it.
import { client } from "/static/common/api.js";
import { $, item, say, sayRefusal, textsOf } from "/static/common/dom.js";
import { claims as claimsOf, handover } from "/static/common/handover.js";

(function () {
  const main = $("org");
  const t = textsOf(main);
  const labels = JSON.parse(main.dataset.labels);
  const token = (handover("org") || {}).t;
  const problem = $("problem");
  if (!token) { say(problem, t.no_token); return; }
  const claims = claimsOf(token);
  const org = encodeURIComponent(claims.org_id || (claims.orgs || [])[0]);
  const api = client(token);
  const lang = document.documentElement.lang;
  const month = (yearMonth) => new Date(`${yearMonth}-01T12:00:00Z`).toLocaleDateString(
    lang, { month: "long", year: "numeric", timeZone: "UTC" });
  const day = (iso) => new Date(iso).toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" });
  let departments = [];

  // A download the API gives only with the token: fetched, then offered as a file link.
  const download = async (path, label, name, file) => {
    const link = document.createElement("a");
    link.textContent = label;
    link.setAttribute("aria-label", `${name}, ${label}`);
    link.download = file;
    link.href = URL.createObjectURL(await (await api(path)).blob());
    return link;
  };

  async function reports() {
    const all = (await (await api(`/v1/orgs/${org}/reports`)).json()).items || [];
    for (const [kind, list] of [["yearly", $("reports")], ["usage", $("usage")]]) {
      const mine = all.filter((r) => r.kind === kind);
      list.replaceChildren();
      if (!mine.length) list.append(item(t.none));
      for (const r of mine) {
        const li = item(`${month(r.period_from)} – ${month(r.period_to)}` +
          (r.published_at ? `, ${t.published_on} ${day(r.published_at)}` : "") + ": ");
        const name = `${t[kind]} ${month(r.period_from)} – ${month(r.period_to)}`;
        for (const [format, label] of [["html", "HTML"], ["pdf", "PDF"], ["csv", "CSV"]]) {
          const path = `/v1/reports/${r.id}?format=${format}&lang=${lang}`;
          li.append(await download(path, label, name, `${r.kind}-${r.period_from}.${format}`), " ");
        }
        list.append(li);
      }
    }
  }

  async function invoices() {
    const list = $("invoices");
    const all = (await (await api(`/v1/orgs/${org}/invoices`)).json()).items || [];
    list.replaceChildren();
    if (!all.length) list.append(item(t.none));
    const euro = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR" });
    for (const i of all) {
      const li = item(`${t.invoice} ${i.number}, ${day(i.period_start)} – ${day(i.period_end)}: ` +
        `${euro.format(Number(i.gross))} `);
      for (const [format, label, ext] of [["pdf", "PDF", "pdf"], ["ubl", t.ubl, "xml"]]) {
        const path = `/v1/invoices/${i.id}?format=${format}`;
        li.append(await download(path, label, `${t.invoice} ${i.number}`, `${i.number}.${ext}`), " ");
      }
      list.append(li);
    }
  }

  // What a signal is about, in words: the category's name or the department's.
  function about(s) {
    if (s.category) {
      const lead = s.rule === "confidant" ? t.confidant_about : t.category_rise_of;
      return `${lead} ${labels[s.category] || s.category}`;
    }
    const name = departments[s.department_index];
    return `${t.department_cluster_of} ${name || "#" + (s.department_index + 1)}`;
  }

  async function signals() {
    const all = (await (await api(`/v1/orgs/${org}/signals`)).json()).items || [];
    const box = $("signals");
    box.replaceChildren();
    if (!all.length) box.append(item(t.none));
    for (const s of all) {
      const li = item(`${about(s)} (${t.window_until} ${day(s.window_end)})`);
      if (s.note) {
        const note = document.createElement("p");
        note.textContent = s.note;  // the confidant's note, as written
        li.append(note);
      }
      box.append(li);
    }
  }

  // Webhooks live in notify; its API is under the same front door.
  const notify = main.dataset.notify;
  const hooks = client(token, notify);

  async function webhooks() {
    const list = $("webhooks");
    const answer = await hooks(`/v1/orgs/${org}/webhooks`);
    if (!answer.ok) { await sayRefusal(problem, t.failed, answer); return; }
    const all = (await answer.json()).items || [];
    list.replaceChildren();
    if (!all.length) list.append(item(t.no_webhooks));
    for (const w of all) {
      const li = item(`${w.url} (${w.events.map((e) => (e.endsWith("ready") ? t.on_report : t.on_signal)).join(", ")}) `);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "secondary";
      remove.textContent = t.remove;
      remove.setAttribute("aria-label", `${t.remove}: ${w.url}`);
      remove.addEventListener("click", async () => {
        await hooks(`/v1/orgs/${org}/webhooks/${w.id}`, "DELETE");
        await webhooks();
      });
      li.append(remove);
      list.append(li);
    }
  }

  if (notify) {
    $("webhook-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const events = [$("on-report"), $("on-signal")].filter((c) => c.checked).map((c) => c.value);
      const answer = await hooks(`/v1/orgs/${org}/webhooks`, "POST",
                                 { url: $("webhook-url").value.trim(), events });
      if (answer.status !== 201) { await sayRefusal(problem, t.failed, answer); return; }
      problem.hidden = true;
      const made = await answer.json();
      $("secret").textContent = `${t.secret}: ${made.secret}`;
      $("secret").hidden = false;
      event.target.reset();
      await webhooks();
    });
  }

  // -- meetings with the firm (booking's API, behind the front door) ------------------------
  const bookingBase = main.dataset.booking;
  const booking = client(token, bookingBase);
  const when = (iso) => new Date(iso).toLocaleString(lang, { dateStyle: "full", timeStyle: "short" });
  let kinds = [];

  async function meetings() {
    const list = $("meetings");
    const answer = await booking(`/v1/orgs/${org}/meetings`);
    if (!answer.ok) { await sayRefusal(problem, t.failed, answer); return; }
    const all = (await answer.json()).items || [];
    list.replaceChildren();
    if (!all.length) list.append(item(t.meeting_none));
    for (const m of all) {
      const kind = kinds.find((k) => k.id === m.type_id);
      const li = item(`${when(m.start)}: ${kind ? kind.name[lang] || kind.name.nl : m.type_id}, ` +
        `${t["mode_" + m.mode] || m.mode}${m.meeting_point ? ` (${m.meeting_point.text})` : ""} `);
      if (m.video_url) {
        const video = document.createElement("a");
        video.href = m.video_url;
        video.textContent = t.video;
        li.append(video, " ");
      }
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "secondary";
      cancel.textContent = t.cancel;
      cancel.setAttribute("aria-label", `${t.cancel}: ${when(m.start)}`);
      cancel.addEventListener("click", async () => {
        const done = await booking(`/v1/orgs/${org}/meetings/${m.id}/cancel`, "POST");
        if (!done.ok) { await sayRefusal(problem, t.failed, done); return; }
        await meetings();
      });
      li.append(cancel);
      list.append(li);
    }
  }

  function option(value, text) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function showModes() {
    const kind = kinds.find((k) => k.id === $("meeting-type").value);
    $("meeting-mode").replaceChildren(...(kind ? kind.modes : []).map((m) => option(m, t["mode_" + m] || m)));
    showWhere();
  }

  function showWhere() {
    const there = $("meeting-mode").value === "on_location";
    $("meeting-where-field").hidden = !there;
    $("meeting-where").required = there;
    $("meeting-time-field").hidden = true;
    $("meeting-book").hidden = true;
  }

  async function meetingForm() {
    const answer = await booking(`/v1/orgs/${org}/meeting-options`);
    if (!answer.ok) { await sayRefusal(problem, t.failed, answer); return; }
    const found = await answer.json();
    kinds = found.types;
    $("meeting-type").replaceChildren(...kinds.map((k) => option(k.id, k.name[lang] || k.name.nl)));
    $("meeting-confidant").replaceChildren(...found.confidants.map((c) => option(c.id, c.display_name)));
    showModes();
    for (const id of ["meeting-type", "meeting-confidant"]) $(id).addEventListener("change", showModes);
    $("meeting-mode").addEventListener("change", showWhere);
    $("meeting-times").addEventListener("click", async () => {
      const query = new URLSearchParams({ confidant_id: $("meeting-confidant").value, type_id: $("meeting-type").value });
      const slots = await booking(`/v1/slots?${query}`);
      if (!slots.ok) { await sayRefusal(problem, t.failed, slots); return; }
      const free = (await slots.json()).slots || [];
      $("meeting-time").replaceChildren(...free.slice(0, 200).map((s) => option(s.start, when(s.start))));
      $("meeting-time-field").hidden = !free.length;
      $("meeting-book").hidden = !free.length;
      $("meeting-status").textContent = free.length ? "" : t.meeting_no_times;
      $("meeting-status").hidden = Boolean(free.length);
    });
    $("meeting-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {
        confidant_id: $("meeting-confidant").value,
        type_id: $("meeting-type").value,
        mode: $("meeting-mode").value,
        start: $("meeting-time").value,
      };
      if (body.mode === "on_location") body.meeting_point = $("meeting-where").value.trim();
      const made = await booking(`/v1/orgs/${org}/meetings`, "POST", body);
      if (made.status !== 201) { await sayRefusal(problem, t.failed, made); return; }
      problem.hidden = true;
      $("meeting-status").textContent = t.meeting_booked;
      $("meeting-status").hidden = false;
      showWhere();
      await meetings();
    });
  }

  (async () => {
    const answer = await api(`/v1/orgs/${org}`);
    if (answer.ok) {
      const found = await answer.json();
      $("org-name").textContent = `${found.name}: ${t.title}`;
      departments = found.departments || [];
    }
    if (bookingBase) await meetingForm();
    await Promise.all([
      reports(), invoices(), signals(), notify ? webhooks() : null, bookingBase ? meetings() : null,
    ]);
  })();
})();
