// The confidant's workspace: log in (the token stays in this tab), cases, a case's messages.
"use strict";
(function () {
  const main = document.getElementById("staff");
  const t = JSON.parse(main.dataset.text);
  const categories = JSON.parse(main.dataset.categories);
  const problem = document.getElementById("problem");
  let token = sessionStorage.getItem("staff");
  let open = null;
  const api = (path, options) => fetch(path, Object.assign(
    { headers: { Authorization: "Bearer " + token } }, options || {}));

  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };

  async function cases() {
    const answer = await api("/v1/cases");
    if (answer.status === 401) { sessionStorage.removeItem("staff"); location.reload(); return; }
    const list = (await answer.json()).cases || [];
    const body = document.getElementById("cases");
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
      row.append(cell(c.reference), cell(categories[c.category] || c.category), cell(c.status),
                 cell(due.join(", ")), action);
      body.append(row);
    }
    document.getElementById("agenda").href = main.dataset.booking + "staff#" + new URLSearchParams({ t: token });
    document.getElementById("login").hidden = true;
    document.getElementById("list").hidden = false;
  }

  async function messages() {
    const answer = await api(`/v1/cases/${open.case_id}/messages`);
    const list = document.getElementById("messages");
    list.replaceChildren();
    for (const m of (await answer.json()).messages || []) {
      const item = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = (m.author === "confidant" ? t.you : t.reporter) + ": ";
      item.append(who, document.createTextNode(m.text));
      list.append(item);
    }
  }

  async function show(c) {
    open = c;
    document.getElementById("one-title").textContent = c.reference;
    await messages();
    const one = document.getElementById("one");
    one.hidden = false;
    one.focus();
  }

  document.getElementById("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const answer = await fetch("/v1/auth/token", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: document.getElementById("username").value.trim(),
                             password: document.getElementById("password").value }),
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

  document.getElementById("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = document.getElementById("message");
    if (!box.value.trim()) return;
    const answer = await api(`/v1/cases/${open.case_id}/messages`, {
      method: "POST",
      headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
      body: JSON.stringify({ text: box.value.trim() }),
    });
    if (answer.status === 201) { box.value = ""; await messages(); }
  });

  if (token) cases();
})();
