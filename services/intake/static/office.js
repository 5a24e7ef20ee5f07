// The firm's office: every organisation's cases by status and the first contacts overdue
// (no content), the organisations with their ways in, and staff accounts. The token is the
// one the workspace's log-in kept in this tab; every step goes through intake's /v1 API.
import { allItems, client } from "/static/common/api.js";
import { $, item, labelled, langQuery, say, succeeded, textsOf } from "/static/common/dom.js";

(function () {
  const main = $("office");
  const carry = langQuery(); // the reader's language, on to the next page
  const t = textsOf(main);
  const statuses = JSON.parse(main.dataset.statuses); // in the order of the table's columns
  const problem = $("problem");
  const token = sessionStorage.getItem("staff");
  if (!token) { say(problem, t.no_token); return; }
  const api = client(token);
  const ok = (answer, expected) => succeeded(problem, t.failed, answer, expected);
  let orgs = [];

  function cell(text) { const td = document.createElement("td"); td.textContent = String(text); return td; }

  // Counted by intake as cases change; nothing of a case itself comes here.
  async function overview() {
    const counted = new Map((await allItems(api, "/v1/case-counts")).map((c) => [c.org_id, c]));
    const body = $("overview");
    body.replaceChildren();
    let asOf = null;
    for (const org of orgs) {
      const own = counted.get(org.id) || { counts: {}, overdue: 0 };
      const row = document.createElement("tr");
      const name = document.createElement("th");
      name.scope = "row";
      name.textContent = org.name;
      row.append(name);
      for (const key of statuses) row.append(cell(own.counts[key] || 0));
      // A promise not kept: a deadline passed and not met, on a case still open.
      row.append(cell(own.overdue ?? "–"));
      if (own.overdue_at && (!asOf || own.overdue_at < asOf)) asOf = own.overdue_at;
      body.append(row);
    }
    $("overdue-as-of").textContent = asOf
      ? `${t.overdue_as_of} ${new Date(asOf).toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" })}` : "";
  }

  function organisations() {
    const list = $("orgs");
    list.replaceChildren(...(orgs.length ? [] : [item(t.none)]));
    for (const org of orgs) {
      const li = item(`${org.name} (/o/${org.slug}): ${(org.confidant_ids || []).join(", ") || t.no_confidants}`);
      const ways = [org.phone_number && `${t.phone_number}: ${org.phone_number}`,
        org.whatsapp_number && `${t.whatsapp_number}: ${org.whatsapp_number}`].filter(Boolean);
      if (ways.length) li.append(` · ${ways.join(" · ")}`);
      li.append(editor(org));
      list.append(li);
    }
    $("staff-org-id").replaceChildren(...orgs.map((o) => new Option(o.name, o.id)));
  }

  // A labelled field of an organisation's form (ids unique per organisation).
  function field(form, org, name, label, value, type = "text") {
    const input = document.createElement("input");
    input.id = `${name}-${org.id}`;
    input.type = type;
    input.value = value ?? "";
    const text = document.createElement("label");
    text.htmlFor = input.id;
    text.textContent = label;
    form.append(text, input);
    return input;
  }

  // An organisation's settings and channels: what its report page shows and how reports
  // come in (the mailbox's password is written, never shown).
  function editor(org) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = `${t.edit} ${org.name}`;
    const form = document.createElement("form");
    const confidants = field(form, org, "confidants", t.confidant_ids, (org.confidant_ids || []).join(", "));
    const departments = field(form, org, "departments", t.departments, (org.departments || []).join(", "));
    const phone = field(form, org, "phone", t.phone_number, org.phone_number, "tel");
    const whatsapp = field(form, org, "whatsapp", t.whatsapp_number, org.whatsapp_number, "tel");
    const days = field(form, org, "days", t.first_contact_days, org.first_contact_days, "number");
    const numberId = field(form, org, "number-id", t.whatsapp_id, "");
    const mailbox = field(form, org, "mailbox", t.mailbox, "", "email");
    const password = field(form, org, "mailbox-password", t.mailbox_password, "", "password");
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = t.save;
    const done = document.createElement("p");
    done.setAttribute("role", "status");
    form.append(save, done);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const changes = {
        confidant_ids: confidants.value.split(",").map((x) => x.trim()).filter(Boolean),
        departments: departments.value.split(",").map((x) => x.trim()).filter(Boolean),
        phone_number: phone.value.trim() || null,
        whatsapp_number: whatsapp.value.trim() || null,
        first_contact_days: Number(days.value || 2),
      };
      if (!await ok(await api(`/v1/orgs/${org.id}`, "PATCH", changes), 200)) return;
      // Only the channels given are set: the other stays as it is.
      const channels = {};
      if (numberId.value.trim()) channels.whatsapp_phone_number_id = numberId.value.trim();
      if (mailbox.value.trim()) {
        channels.mailbox = { address: mailbox.value.trim(), username: mailbox.value.trim(), password: password.value };
      }
      if (Object.keys(channels).length
        && !await ok(await api(`/v1/orgs/${org.id}/channels`, "PUT", channels), 200)) return;
      done.textContent = t.saved;
      await load();
    });
    details.append(summary, form);
    return details;
  }

  // The accounts: switched off or on, and a new one-time link (a reset).
  async function staffAccounts() {
    const accounts = await allItems(api, "/v1/staff?limit=1000");
    const list = $("accounts");
    list.replaceChildren();
    for (const a of accounts) {
      const notes = [!a.active && t.switched_off, !a.password_set && t.no_password].filter(Boolean);
      const li = item(`${a.display_name} (${a.username}, ${t["role_" + a.role] || a.role})`
        + (notes.length ? ` · ${notes.join(" · ")} ` : " "));
      const toggle = document.createElement("button");
      toggle.type = "button";
      toggle.className = "secondary";
      toggle.textContent = a.active ? t.disable : t.enable;
      toggle.addEventListener("click", async () => {
        if (await ok(await api(`/v1/staff/${a.id}/active`, "PUT", { active: !a.active }), 200)) await staffAccounts();
      });
      const reset = document.createElement("button");
      reset.type = "button";
      reset.className = "secondary";
      reset.textContent = t.reset;
      reset.addEventListener("click", async () => {
        const answer = await api(`/v1/staff/${a.id}/invite`, "POST");
        if (await ok(answer.clone(), 200)) { showInvite((await answer.json()).invite_url); await staffAccounts(); }
      });
      li.append(toggle, " ", reset, roleForm(a));
      list.append(li);
    }
  }

  // Another role for an account, with what it is scoped to (its confidant, its organisation).
  function roleForm(a) {
    const details = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = `${t.change_role}: ${a.display_name}`;
    const form = document.createElement("form");
    const field = (id, label, input) => labelled(form, id, label, input);
    const role = field(`role-${a.id}`, t.role, document.createElement("select"));
    for (const r of ["confidant", "org_admin", "admin"]) role.append(new Option(t["role_" + r], r, false, r === a.role));
    const confidant = field(`role-confidant-${a.id}`, t.confidant_id, document.createElement("input"));
    confidant.maxLength = 64;
    confidant.value = a.confidant_id || "";
    const org = field(`role-org-${a.id}`, t.organisation, document.createElement("select"));
    org.append(...orgs.map((o) => new Option(o.name, o.id, false, o.id === a.org_id)));
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "secondary";
    save.textContent = t.save_role;
    form.append(save);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { role: role.value };
      if (role.value === "confidant") body.confidant_id = confidant.value.trim();
      if (role.value === "org_admin") body.org_id = org.value;
      if (await ok(await api(`/v1/staff/${a.id}/role`, "PUT", body), 200)) await staffAccounts();
    });
    details.append(summary, form);
    return details;
  }

  // The delivery log (notify's API, on the same origin behind the front door).
  const notifyBase = main.dataset.notify;
  const notify = client(token, notifyBase);
  async function deliveries() {
    const status = $("delivery-status").value;
    const answer = await notify(`/v1/deliveries?limit=50${status ? `&status=${status}` : ""}`);
    if (!(await ok(answer.clone(), 200))) return;
    const all = (await answer.json()).items || [];
    const names = Object.fromEntries(orgs.map((o) => [o.id, o.name]));
    const list = $("deliveries");
    list.replaceChildren();
    if (!all.length) list.append(item(t.no_deliveries));
    for (const d of all) {
      const at = new Date(d.sent_at || d.created_at).toLocaleString(document.documentElement.lang);
      const li = item(`${at}: ${d.template} (${d.channel}) ${names[d.org_id] || ""} · ${t["status_" + d.status] || d.status}` +
        (d.last_error ? ` · ${d.last_error}` : "") + " ");
      if (d.status === "failed" || d.status === "dead") {
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "secondary";
        retry.textContent = t.retry;
        retry.setAttribute("aria-label", `${t.retry}: ${d.template} ${at}`);
        retry.addEventListener("click", async () => {
          if (await ok(await notify(`/v1/deliveries/${d.id}/retry`, "POST"), 200)) await deliveries();
        });
        li.append(retry);
      }
      list.append(li);
    }
  }
  if (notifyBase) $("delivery-status").addEventListener("change", deliveries);

  function showInvite(url) {
    $("invite").hidden = false;
    $("invite-url").value = url;
    $("invite-url").focus();
  }

  async function load() {
    try {
      orgs = await allItems(api, "/v1/orgs?limit=1000");
    } catch (answer) {
      if (answer.status === 401 || answer.status === 403) { say(problem, t.no_token); return; }
      await ok(answer, 200);
      return;
    }
    organisations();
    await overview();
    await staffAccounts();
    if (notifyBase) await deliveries();
  }

  $("org-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: $("org-name").value.trim(),
      slug: $("org-slug").value.trim(),
      confidant_ids: $("org-confidants").value.split(",").map((s) => s.trim()).filter(Boolean),
      departments: $("org-departments").value.split(",").map((s) => s.trim()).filter(Boolean),
    };
    if ($("org-phone").value.trim()) body.phone_number = $("org-phone").value.trim();
    if ($("org-whatsapp").value.trim()) body.whatsapp_number = $("org-whatsapp").value.trim();
    if (await ok(await api("/v1/orgs", "POST", body), 201)) {
      $("org-form").reset();
      await load();
    }
  });

  // A confidant's open cases handed over to a colleague of each organisation, one by one
  // (each a single case's change: one that changed meanwhile is said and left).
  $("handover-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const from = $("handover-from").value.trim();
    const to = $("handover-to").value.trim();
    const cases = [];
    for (const status of statuses.filter((s) => s !== "closed")) {
      const query = new URLSearchParams({ limit: "1000", confidant_id: from, status });
      cases.push(...await allItems(api, `/v1/cases?${query}`));
    }
    let moved = 0;
    for (const c of cases) {
      if (await ok(await api(`/v1/cases/${c.case_id}/assign`, "POST", { confidant_id: to }), 200)) moved += 1;
    }
    $("handover-done").textContent = `${t.handed_over} ${moved} / ${cases.length}`;
    await overview();
  });

  const roleChosen = () => {
    $("staff-confidant").hidden = $("staff-role").value !== "confidant";
    $("staff-org").hidden = $("staff-role").value !== "org_admin";
  };
  $("staff-role").addEventListener("change", roleChosen);
  roleChosen();

  $("staff-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const role = $("staff-role").value;
    const body = {
      role,
      display_name: $("staff-name").value.trim(),
      username: $("staff-username").value.trim(),
      locale: document.documentElement.lang === "en" ? "en" : "nl",
    };
    if ($("staff-password").value) body.password = $("staff-password").value;
    if ($("staff-email").value.trim()) body.email = $("staff-email").value.trim();
    if (role === "confidant") body.confidant_id = $("staff-confidant-id").value.trim();
    if (role === "org_admin") body.org_id = $("staff-org-id").value;
    const answer = await api("/v1/staff", "POST", body);
    if (await ok(answer.clone(), 201)) {
      const made = await answer.json();
      $("staff-form").reset();
      roleChosen();
      $("staff-done").textContent = `${t.account_made} ${body.username}`;
      if (made.invite_url) showInvite(made.invite_url);
      await staffAccounts();
    }
  });

  // Reporting's page for reports, contracts and invoices gets the token and the names.
  const names = () => Object.fromEntries(orgs.map((o) => [o.id, o.name]));
  $("reports-link").addEventListener("click", () => {
    $("reports-link").href = `${main.dataset.reporting}reports${carry}#${new URLSearchParams({ t: token, names: JSON.stringify(names()) })}`;
  });

  load();
})();
