// The confidant's workspace: log in (the token stays in this tab); cases; a case's messages,
// private notes, status and closing. Each change goes through intake's /v1 API, which checks
// the rules again (transitions, an outcome on closing); its message is shown when it refuses.
"use strict";
(function () {
  const main = document.getElementById("staff");
  const t = JSON.parse(main.dataset.text);
  const categories = JSON.parse(main.dataset.categories);
  const statuses = JSON.parse(main.dataset.statuses);
  const problem = document.getElementById("problem");
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("staff");
  let open = null;
  const api = (path, options) => fetch(path, Object.assign(
    { headers: { Authorization: "Bearer " + token } }, options || {}));
  const send = (method, path, body) => api(path, {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };

  async function refused(answer) {
    problem.textContent = `${t.failed}: ${await window.refusal(answer)}`;
    problem.hidden = false;
  }

  async function cases() {
    const answer = await api("/v1/cases");
    if (answer.status === 401) { sessionStorage.removeItem("staff"); location.reload(); return; }
    const list = (await answer.json()).cases || [];
    const body = $("cases");
    body.replaceChildren();
    if (!list.length) { const row = document.createElement("tr"); row.append(cell(t.none)); body.append(row); }
    for (const c of list) {
      const due = Object.values(c.deadlines || {}).filter((d) => !d.met_at).map((d) => d.due.slice(0, 10));
      const row = document.createElement("tr");
      const action = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t.open + " " + c.reference;
      button.addEventListener("click", () => show(c));
      action.append(button);
      row.append(cell(c.reference), cell(categories[c.category] || c.category),
                 cell(statuses[c.status] || c.status), cell(due.join(", ")), action);
      body.append(row);
    }
    $("agenda").href = main.dataset.booking + "staff#" + new URLSearchParams({ t: token });
    $("login").hidden = true;
    $("list").hidden = false;
    return list;
  }

  function fill(listId, items, empty, render) {
    const list = $(listId);
    list.replaceChildren();
    if (!items.length) { const li = document.createElement("li"); li.textContent = empty; list.append(li); }
    for (const item of items) list.append(render(item));
  }

  async function messages() {
    const answer = await api(`/v1/cases/${open.case_id}/messages`);
    fill("messages", (await answer.json()).messages || [], t.no_messages, (m) => {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = ({ confidant: t.you, system: t.automatic }[m.author] || t.reporter) + ": ";
      item.append(who, document.createTextNode(m.text));
      if (m.delivery) {  // sent by e-mail or WhatsApp: say whether it got there
        const state = document.createElement("small");
        const how = m.delivery.channel === "whatsapp" ? "WhatsApp" : t.by_email;
        state.textContent = ` (${how}: ${t["delivery_" + m.delivery.state] || m.delivery.state}`
          + (m.delivery.status ? `, ${m.delivery.status}` : "")
          + (m.delivery.error ? `, ${m.delivery.error}` : "") + ")";
        item.append(state);
      }
      return item;
    });
  }

  async function notes() {
    const answer = await api(`/v1/cases/${open.case_id}/notes`);
    const lang = document.documentElement.lang;
    fill("notes", (await answer.json()).notes || [], t.no_notes, (n) => {
      const item = document.createElement("li");
      const when = document.createElement("strong");
      when.textContent = new Date(n.created_at).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" }) + ": ";
      item.append(when, document.createTextNode(n.text));
      return item;
    });
  }

  function work() {
    $("status").value = open.status;
    $("hours-spent").value = open.hours_spent || 0;
    $("work-done").textContent = "";
    const closed = open.status === "closed";
    for (const field of $("work").elements) field.disabled = closed;
    closing();
  }

  // The outcome is asked only when closing, the referral only for a referral.
  function closing() {
    const closes = $("status").value === "closed";
    $("closing").hidden = !closes;
    $("referral").hidden = !(closes && $("outcome").value === "referral");
  }

  async function show(c) {
    open = c;
    problem.hidden = true;
    $("one-title").textContent = c.reference;
    await Promise.all([messages(), notes()]);
    work();
    const one = $("one");
    one.hidden = false;
    one.focus();
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const answer = await fetch("/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("username").value.trim(), password: $("password").value }),
    });
    if (answer.status !== 200) { problem.textContent = t.wrong; problem.hidden = false; return; }
    const login = await answer.json();
    token = login.access_token;
    if (login.role === "org_admin") {
      // An organisation's admin has no cases here: their reports are on reporting's page.
      location.assign(main.dataset.reporting + "org#" + new URLSearchParams({ t: token }));
      return;
    }
    sessionStorage.setItem("staff", token);
    await cases();
  });

  $("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("message");
    if (!box.value.trim()) return;
    const answer = await send("POST", `/v1/cases/${open.case_id}/messages`, { text: box.value.trim() });
    if (answer.status !== 201) { await refused(answer); return; }
    box.value = "";
    await messages();
  });

  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("note");
    if (!box.value.trim()) return;
    const answer = await send("POST", `/v1/cases/${open.case_id}/notes`, { text: box.value.trim() });
    if (answer.status !== 201) { await refused(answer); return; }
    box.value = "";
    await notes();
  });

  $("status").addEventListener("change", closing);
  $("outcome").addEventListener("change", closing);

  $("work").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const change = { hours_spent: Number($("hours-spent").value || 0) };
    const status = $("status").value;
    if (status !== open.status) change.status = status;
    if (status === "closed") {
      change.outcome = $("outcome").value;
      if (change.outcome === "referral" && $("referral-to").value.trim()) {
        change.referral_to = $("referral-to").value.trim();
      }
    }
    const answer = await send("PATCH", `/v1/cases/${open.case_id}`, change);
    if (answer.status !== 200) { await refused(answer); return; }
    open = await answer.json();
    work();
    $("work-done").textContent = t.saved;
    await cases();
  });

  if (token) cases();
})();
