// Reports and signals for the confidant: draft a report, preview it as the organisation will
// see it (HTML, PDF), write the advice, publish; look for signals, pass them on with a note
// or dismiss them. Every step goes through reporting's /v1 API, which checks it again.
import { client } from "/static/common/api.js";
import { $, say, succeeded, textsOf } from "/static/common/dom.js";
import { claims as claimsOf, handover } from "/static/common/handover.js";

(function () {
  const main = $("work");
  const t = textsOf(main);
  const problem = $("problem");
  const handed = handover("reports") || {};
  const token = handed.t;
  if (!token) { say(problem, t.no_token); return; }
  const lang = document.documentElement.lang;
  const api = client(token);
  const org = () => $("org-select").value;
  const ok = (answer, expected) => succeeded(problem, t.failed, answer, expected);

  function el(tag, text) { const node = document.createElement(tag); if (text) node.textContent = text; return node; }

  async function fileLink(report, format, label) {
    const link = el("a", label);
    link.download = `rapport-${report.period_from}.${format}`;
    const answer = await api(`/v1/reports/${report.id}?format=${format}&lang=${lang}`);
    link.href = URL.createObjectURL(await answer.blob());
    return link;
  }

  async function reports() {
    const list = $("report-list");
    const items = (await (await api(`/v1/orgs/${encodeURIComponent(org())}/reports`)).json()).items || [];
    list.replaceChildren();
    if (!items.length) list.append(el("li", t.none));
    for (const r of items) {
      const li = el("li");
      li.append(el("strong", `${t[r.kind] || r.kind} ${r.period_from} – ${r.period_to} (${t["status_" + r.status] || r.status}) `));
      for (const [format, label] of [["html", "HTML"], ["pdf", "PDF"], ["csv", "CSV"]]) {
        li.append(await fileLink(r, format, label), " ");
      }
      if (r.status === "draft") li.append(adviceForm(r));
      list.append(li);
    }
  }

  function adviceForm(r) {
    const form = el("form");
    const id = `advice-${r.id}`;
    const label = el("label", t.advice);
    label.htmlFor = id;
    const box = el("textarea");
    box.id = id;
    box.rows = 4;
    box.maxLength = 5000;
    box.value = ((r.advice || {})[lang]) || "";
    const save = el("button", t.save_advice);
    save.type = "submit";
    const done = el("p");
    done.setAttribute("role", "status");
    const publish = el("button", t.publish);
    publish.type = "button";
    publish.className = "secondary";
    form.append(label, box, save, publish, done);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await ok(await api(`/v1/reports/${r.id}/advice`, "PUT", { [lang]: box.value.trim() || null }), 200)) {
        done.textContent = t.saved;
      }
    });
    publish.addEventListener("click", async () => {
      if (!confirm(t.confirm_publish)) return;
      if (await ok(await api(`/v1/reports/${r.id}/publish`, "POST"), 200)) await reports();
    });
    return form;
  }

  async function signals() {
    const list = $("signal-list");
    const items = (await (await api(`/v1/orgs/${encodeURIComponent(org())}/signals`)).json()).items || [];
    list.replaceChildren();
    if (!items.length) list.append(el("li", t.none));
    for (const s of items) {
      const li = el("li");
      li.append(el("strong", `${t[s.rule] || s.rule} (${s.window_end}): ${t["status_" + s.status] || s.status} `));
      if (s.note) li.append(el("span", s.note));
      if (s.status === "proposed") {
        const id = `note-${s.id}`;
        const label = el("label", t.note);
        label.htmlFor = id;
        const note = el("textarea");
        note.id = id;
        note.rows = 2;
        note.maxLength = 1000;
        li.append(label, note);
        for (const decision of ["raise", "dismiss"]) {
          const button = el("button", t[decision]);
          button.type = "button";
          if (decision === "dismiss") button.className = "secondary";
          button.addEventListener("click", async () => {
            const body = { decision, note: note.value.trim() || null };
            if (await ok(await api(`/v1/signals/${encodeURIComponent(s.id)}/decision`, "POST", body), 200)) await signals();
          });
          li.append(button, " ");
        }
      }
      list.append(li);
    }
  }

  $("draft").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { kind: $("kind").value, year: Number($("year").value) };
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/reports`, "POST", body), 201)) await reports();
  });
  $("propose").addEventListener("click", async () => {
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/signals/propose`, "POST"), 200)) await signals();
  });
  // A signal of the confidant's own: about a kind of report over a window.
  $("own-signal").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      category: $("own-category").value,
      window_start: $("own-start").value,
      window_end: $("own-end").value,
    };
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/signals`, "POST", body), 201)) await signals();
  });

  // The office's billing: an organisation's invoices and credit notes, a period to invoice,
  // an invoice to credit with its reason (the API refuses anyone but the office).
  async function billing() {
    if (claims.role !== "admin") return;
    $("billing").hidden = false;
    await contract();
    const where = encodeURIComponent(org());
    const invoices = (await (await api(`/v1/orgs/${where}/invoices`)).json()).items || [];
    const notes = (await (await api(`/v1/orgs/${where}/credit-notes`)).json()).items || [];
    const credited = Object.fromEntries(notes.map((n) => [n.id, n]));
    const list = $("invoice-list");
    list.replaceChildren();
    if (!invoices.length) list.append(el("li", t.none));
    for (const i of invoices) {
      const li = el("li", `${i.number}, ${i.period_start} – ${i.period_end}: € ${i.gross} `);
      for (const [format, label] of [["pdf", "PDF"], ["ubl", "UBL"]]) {
        li.append(await fileOf(`/v1/invoices/${i.id}?format=${format}`, label, `${i.number}.${format === "ubl" ? "xml" : "pdf"}`), " ");
      }
      const note = credited[i.id];
      if (note) {
        li.append(el("span", `${t.credited_by} ${note.number} `));
        li.append(await fileOf(`/v1/credit-notes/${note.id}?format=pdf`, `${t.credit_note} PDF`, `${note.number}.pdf`), " ");
        li.append(await fileOf(`/v1/credit-notes/${note.id}?format=ubl`, `${t.credit_note} UBL`, `${note.number}.xml`));
      } else {
        li.append(creditForm(i));
      }
      list.append(li);
    }
  }

  async function fileOf(path, label, name) {
    const link = el("a", label);
    link.download = name;
    link.href = URL.createObjectURL(await (await api(path)).blob());
    return link;
  }

  function creditForm(invoice) {
    const form = el("form");
    const id = `reason-${invoice.id}`;
    const label = el("label", t.credit_reason);
    label.htmlFor = id;
    const reason = el("input");
    reason.id = id;
    reason.required = true;
    reason.minLength = 3;
    reason.maxLength = 300;
    const button = el("button", t.credit);
    button.type = "submit";
    button.className = "secondary";
    form.append(label, reason, button);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { reason: reason.value.trim() };
      if (await ok(await api(`/v1/invoices/${invoice.id}/credit-note`, "POST", body), 201)) await billing();
    });
    return form;
  }

  // -- the contract: every field of the API's, filled from it, sent back whole ------------
  const lines = JSON.parse($("work").dataset.lines);
  const CONTRACT = [
    ["legal_name", "text"], ["street", "text"], ["postcode", "text"], ["city", "text"],
    ["country", "text", "NL"], ["kvk", "text"], ["oin", "text"], ["vat_id", "text"],
    ["buyer_reference", "text"], ["locale", ["nl", "en"], "nl"],
    ["hourly_rate", "money"], ["travel", ["none", "per_visit", "per_km"], "none"],
    ["travel_per_visit", "money", "0", "c_travel_per_visit_fee"], ["rate_per_km", "money", "0"],
    ["travel_hourly_rate", "money", "0"],
    ["administration", ["none", "per_case", "per_month"], "none"], ["administration_fee", "money", "0"],
    ["subscription_per_month", "money", "0"], ["vat_category", ["S", "Z", "E"], "S"],
    ["vat_percent", "money", "21"], ["vat_exemption_reason", "text"],
    ["starts_on", "date"], ["ends_on", "date"], ["evaluate_on", "date"],
  ];
  const OPTIONAL = new Set(["kvk", "oin", "vat_id", "vat_exemption_reason", "starts_on", "ends_on", "evaluate_on"]);
  const optionText = (name, value) => t[`c_${name}_${value}`] || t[`c_vat_${value}`] || value;

  async function contract() {
    const form = $("contract-form");
    const answer = await api(`/v1/orgs/${encodeURIComponent(org())}/contract`);
    const found = answer.ok ? await answer.json() : {};
    form.replaceChildren();
    for (const [name, kind, fallback, labelKey] of CONTRACT) {
      const id = `contract-${name}`;
      const label = el("label", t[labelKey || `c_${name}`]);
      label.htmlFor = id;
      let input;
      if (Array.isArray(kind)) {
        input = el("select");
        for (const value of kind) {
          const o = el("option", optionText(name, value));
          o.value = value;
          input.append(o);
        }
      } else {
        input = el("input");
        input.type = kind === "date" ? "date" : "text";
        if (kind === "money") input.inputMode = "decimal";
      }
      input.id = id;
      input.name = name;
      input.value = found[name] ?? fallback ?? "";
      input.required = !OPTIONAL.has(name);
      form.append(label, input);
    }
    const save = el("button", t.save_contract);
    save.type = "submit";
    form.append(save);
  }

  $("contract-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    for (const [name] of CONTRACT) {
      const value = event.target.elements[name].value.trim();
      body[name] = value === "" && OPTIONAL.has(name) ? null : value;
    }
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/contract`, "PUT", body), 200)) {
      say($("problem"), t.saved);
      await contract();
    }
  });

  $("preview").addEventListener("click", async () => {
    const period = new URLSearchParams({ period_from: $("invoice-from").value, period_to: $("invoice-to").value });
    const answer = await api(`/v1/orgs/${encodeURIComponent(org())}/costs?${period}`);
    if (!(await ok(answer, 200))) return;
    const found = await answer.json();
    const body = $("preview-lines").querySelector("tbody");
    body.replaceChildren();
    const row = (...cells) => {
      const tr = el("tr");
      for (const cell of cells) tr.append(el("td", cell));
      body.append(tr);
    };
    for (const line of found.lines) row(lines[line.code] || line.code, line.code === "services" ? "" : line.quantity, `€ ${line.amount}`);
    row(lines.net, "", `€ ${found.net}`);
    row(lines.gross, "", `€ ${found.gross}`);
    $("preview-lines").hidden = false;
  });

  // -- the organisation's own work, entered by hand -------------------------------------
  async function activities() {
    const list = $("activity-list");
    const answer = await api(`/v1/orgs/${encodeURIComponent(org())}/activities`);
    if (!(await ok(answer, 200))) return;
    const all = (await answer.json()).items || [];
    list.replaceChildren();
    if (!all.length) list.append(el("li", t.none));
    for (const a of all) {
      const li = el("li", `${a.day}: ${t["activity_" + a.kind]}, ${a.minutes} min` +
        (a.travel_minutes ? `, ${t.activity_travel} ${a.travel_minutes}` : "") + (a.km ? `, ${a.km} km` : "") + " ");
      const remove = el("button", t.remove);
      remove.type = "button";
      remove.className = "secondary";
      remove.setAttribute("aria-label", `${t.remove}: ${a.day} ${t["activity_" + a.kind]}`);
      remove.addEventListener("click", async () => {
        if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/activities/${a.id}`, "DELETE"), 204)) await activities();
      });
      li.append(remove);
      list.append(li);
    }
  }

  $("activity-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      kind: $("activity-kind").value,
      day: $("activity-day").value,
      minutes: Number($("activity-minutes").value),
      travel_minutes: Number($("activity-travel").value || 0),
      km: Number($("activity-km").value || 0),
    };
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/activities`, "POST", body), 201)) {
      event.target.reset();
      await activities();
    }
  });

  $("invoice-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { period_from: $("invoice-from").value, period_to: $("invoice-to").value };
    if (await ok(await api(`/v1/orgs/${encodeURIComponent(org())}/invoices`, "POST", body), 201)) await billing();
  });

  $("org-select").addEventListener("change", () => Promise.all([reports(), signals(), billing(), activities()]));

  // The organisations: those the token reaches (the office: every one the workspace named),
  // named as the workspace handed them over.
  const names = JSON.parse(handed.names || "{}");
  const claims = claimsOf(token);
  const reached = claims.role === "admin" ? Object.keys(names) : claims.orgs || [];
  for (const id of reached) {
    const option = el("option", names[id] || id);
    option.value = id;
    $("org-select").append(option);
  }
  $("year").value = new Date().getFullYear() - 1;
  if (org()) { reports(); signals(); billing(); activities(); }
})();
