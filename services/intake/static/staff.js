// The confidant's workspace: log in (the token stays in this tab); cases; a case's messages,
// private notes, status and closing. Each change goes through intake's /v1 API, which checks
// the rules again (transitions, an outcome on closing); its message is shown when it refuses.
import { allItems, client } from "/static/common/api.js";
import { $, langQuery, link, say, sayRefusal, textsOf } from "/static/common/dom.js";
import {
  caseKey, caseKeys, certifiedKey, fromKit, loginSecret, makeKeys, openWithAny, recover, rewrap, rotation, sealKey, sealSigned,
  sealText, unlock,
} from "/static/common/keys.js";

(function () {
  const main = $("staff");
  const carry = langQuery(); // the reader's language, on to the next page
  const t = textsOf(main);
  const categories = JSON.parse(main.dataset.categories);
  const statuses = JSON.parse(main.dataset.statuses);
  const channels = JSON.parse(main.dataset.channels);
  const modes = JSON.parse(main.dataset.modes);
  const lang = document.documentElement.lang;
  const day = (iso) => new Date(iso).toLocaleDateString(lang, { day: "numeric", month: "short", year: "numeric" });
  // /staff/cases/<id or reference>: the case a mail links to, opened once the list is there.
  // A message booking's page made ready (a proposal of times), to read and send.
  let ready = new URLSearchParams(location.hash.slice(1)).get("m") || "";
  if (ready) history.replaceState(null, "", location.pathname + location.search);
  const linked = decodeURIComponent((location.pathname.match(/^\/staff\/cases\/([^/]+)$/) || [])[1] || "");
  let all = [];
  const problem = $("problem");
  let token = sessionStorage.getItem("staff");
  let open = null;
  let api = client(token); // again with the new token at each log-in
  // This person's key pair, unlocked with their password at log-in; held only in this page.
  let mine = null;
  let sealedCase = null; // the open case, if it has a vault
  const caseKeyring = new Map(); // a case's key pairs (its current one, then earlier ones)

  // What a sealed case says, opened here: with the case's keys, opened with mine.
  async function keysOf(c) {
    const known = `${c.case_id}:${c.vault.public_key}`;
    if (!caseKeyring.has(known)) caseKeyring.set(known, caseKeys(mine, c.vault));
    return caseKeyring.get(known);
  }
  async function opens(c, envelope, signed = false) {
    if (!envelope) return null;
    if (!mine || !c.vault.wrap) return t.unreadable;
    try { return await openWithAny(await keysOf(c), envelope, signed); } catch { return t.unreadable; }
  }
  // A text as the reader sees it: opened here if sealed, as it came if not.
  const textOf = (m) => (m.sealed ? opens(sealedCase, m.sealed, m.signed) : m.text);

  // Each cell carries its column's name: on a phone the rows become cards that say it.
  const cell = (text, label) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (label) td.dataset.label = label;
    return td;
  };

  const refused = (answer) => sayRefusal(problem, t.failed, answer);

  // The soonest deadline not met yet, for ordering (none: far away).
  const soonest = (c) => Object.values(c.deadlines || {}).filter((d) => !d.met_at)
    .map((d) => d.due).sort()[0] || "9999";

  function deadlineWords(c) {
    const names = { acknowledgement: t.ack_before, feedback: t.feedback_before, first_contact: t.first_contact_before };
    return Object.entries(c.deadlines || {}).filter(([, d]) => !d.met_at)
      .map(([kind, d]) => `${names[kind] || kind} ${day(d.due)}${new Date(d.due) < new Date() ? " (" + t.overdue + ")" : ""}`)
      .join("; ");
  }

  function render() {
    const status = $("filter-status").value;
    const category = $("filter-category").value;
    const search = $("search").value.trim().toUpperCase();
    // By reference, or by what the report says (opened here, for sealed cases).
    const matches = (c) => c.reference.toUpperCase().includes(search)
      || (reports.get(c.case_id) || "").toUpperCase().includes(search);
    const shown = all.filter((c) =>
      (status === "*" || (status ? c.status === status : c.status !== "closed"))
      && (!category || c.category === category)
      && (!search || matches(c)));
    // Open cases first, the soonest deadline first, then the newest.
    shown.sort((a, b) => (a.status === "closed") - (b.status === "closed")
      || soonest(a).localeCompare(soonest(b)) || b.created_at.localeCompare(a.created_at));
    const counts = {};
    for (const c of all) counts[c.status] = (counts[c.status] || 0) + 1;
    // Every open case is loaded; of the closed ones, the newest (more on asking).
    $("counts").textContent = Object.keys(statuses)
      .map((k) => `${statuses[k]}: ${counts[k] || 0}${k === "closed" && older ? "+" : ""}`).join(" · ");
    const body = $("cases");
    body.replaceChildren();
    if (!shown.length) { const row = document.createElement("tr"); row.append(cell(t.none)); body.append(row); }
    for (const c of shown) {
      const row = document.createElement("tr");
      const action = document.createElement("td");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = t.open + " " + c.reference;
      button.addEventListener("click", () => show(c));
      action.append(button);
      row.append(cell(c.reference, t.reference), cell(categories[c.category] || c.category, t.category),
                 cell(statuses[c.status] || c.status, t.status), cell(deadlineWords(c), t.deadline), action);
      body.append(row);
    }
  }

  // Every open case (few, however many closed ones there are) and the newest hundred;
  // older ones a hundred at a time on asking, and any one by its reference (the server
  // finds it, however old).
  const OPEN = Object.keys(statuses).filter((s) => s !== "closed");
  let older = null;
  const merged = (known, more) => {
    const ids = new Set(known.map((c) => c.case_id));
    return known.concat(more.filter((c) => !ids.has(c.case_id)));
  };
  async function cases() {
    const answer = await api("/v1/cases?limit=100");
    if (answer.status === 401) { sessionStorage.removeItem("staff"); location.reload(); return; }
    const page = await answer.json();
    const open = await Promise.all(OPEN.map((s) => allItems(api, `/v1/cases?limit=1000&status=${s}`)));
    all = merged(page.items || [], open.flat());
    older = page.next;
    $("older").hidden = !older;
    render();
    $("agenda").href = main.dataset.booking + "staff/agenda" + carry + "#" + new URLSearchParams({ t: token });
    $("login").hidden = true;
    $("list").hidden = false;
    return all;
  }

  for (const id of ["filter-status", "filter-category", "search"]) {
    $(id).addEventListener("input", render);
  }

  // The reports of the sealed cases loaded, opened here to be searched (never sent back).
  const reports = new Map();
  async function openReports() {
    if (!mine) return;
    const waiting = all.filter((c) => c.sealed && c.sealed.text && c.sealed.wrap && !reports.has(c.case_id));
    await Promise.all(waiting.map(async (c) => {
      try {
        const keys = await keysOf({ case_id: c.case_id, vault: c.sealed });
        reports.set(c.case_id, await openWithAny(keys, c.sealed.text));
      } catch { reports.set(c.case_id, ""); }
    }));
  }

  $("older").addEventListener("click", async () => {
    const answer = await api(`/v1/cases?limit=100&cursor=${encodeURIComponent(older)}`);
    if (!answer.ok) { await refused(answer); return; }
    const page = await answer.json();
    all = merged(all, page.items || []);
    older = page.next;
    $("older").hidden = !older;
    render();
  });

  // A whole reference not among the cases loaded: asked of the server.
  const REFERENCE = /^VP-\d{4}-[0-9A-Z]{6}$/;
  async function lookUp(reference) {
    if (!REFERENCE.test(reference)) return null;
    const here = all.find((c) => c.reference === reference);
    if (here) return here;
    const answer = await api(`/v1/cases?reference=${encodeURIComponent(reference)}`);
    const found = answer.ok ? ((await answer.json()).items || [])[0] : null;
    if (found && !all.some((c) => c.case_id === found.case_id)) all.push(found);
    return found || null;
  }

  $("search").addEventListener("input", async () => {
    await openReports();
    if (await lookUp($("search").value.trim().toUpperCase()) || reports.size) render();
  });

  function fact(list, term, value) {
    if (value === null || value === undefined || value === "") return;
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    if (value instanceof Node) dd.append(value); else dd.textContent = value;
    list.append(dt, dd);
  }


  // The report itself: read with the case (intake writes the read to the audit log); the
  // contact details are there, shown only when asked for.
  async function report() {
    const answer = await api(`/v1/cases/${open.case_id}`);
    if (answer.status !== 200) { await refused(answer); return; }
    const c = await answer.json();
    sealedCase = c.vault ? c : null;
    if (c.vault) {
      c.text = await opens(c, c.vault.text);
      // The contact details are sealed; the address notify writes to also comes as it is.
      const sealedContact = await opens(c, c.vault.contact);
      if (sealedContact && sealedContact !== t.unreadable) c.contact = { ...c.contact, ...JSON.parse(sealedContact) };
    }
    const facts = $("facts");
    facts.replaceChildren();
    fact(facts, t.category, categories[c.category] || c.category);
    fact(facts, t.channel, channels[c.channel] || c.channel);
    fact(facts, t.received, day(c.created_at));
    fact(facts, t.meeting, modes[c.meeting_mode]);
    fact(facts, t.department, c.department);
    const pref = c.contact && c.contact.preferred_channel;
    fact(facts, t.contact_pref, pref && (channels[pref] || (pref === "phone" ? t.phone : pref)));
    $("report-text").textContent = c.text || t.no_text;
    $("deadlines").textContent = deadlineWords(c);
    $("category").value = c.category;
    const contact = $("contact");
    contact.replaceChildren();
    contact.hidden = true;
    const button = $("show-contact");
    button.textContent = t.show_contact;
    button.setAttribute("aria-expanded", "false");
    const reachable = c.contact && (c.contact.name || c.contact.email || c.contact.phone);
    $("no-contact").hidden = Boolean(reachable);
    button.hidden = !reachable;
    if (!reachable) return;
    fact(contact, t.name, c.contact.name);
    if (c.contact.email) fact(contact, t.email, link("mailto:" + c.contact.email, c.contact.email));
    if (c.contact.phone) fact(contact, t.phone, link("tel:" + c.contact.phone, c.contact.phone));
  }

  $("show-contact").addEventListener("click", () => {
    const contact = $("contact");
    contact.hidden = !contact.hidden;
    $("show-contact").textContent = contact.hidden ? t.show_contact : t.hide_contact;
    $("show-contact").setAttribute("aria-expanded", String(!contact.hidden));
  });

  $("recategorise").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const answer = await api(`/v1/cases/${open.case_id}`, "PATCH", { category: $("category").value });
    if (answer.status !== 200) { await refused(answer); return; }
    open = await answer.json();
    await Promise.all([report(), cases()]);
  });

  function fill(listId, items, empty, render) {
    const list = $(listId);
    list.replaceChildren();
    if (!items.length) { const li = document.createElement("li"); li.textContent = empty; list.append(li); }
    for (const item of items) list.append(render(item));
  }

  async function messages() {
    const answer = await api(`/v1/cases/${open.case_id}/messages?limit=1000`);
    const items = (await answer.json()).items || [];
    const texts = await Promise.all(items.map(textOf));
    items.forEach((m, i) => { m.text = texts[i]; });
    fill("messages", items, t.no_messages, (m) => {
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
    const answer = await api(`/v1/cases/${open.case_id}/notes?limit=1000`);
    const items = (await answer.json()).items || [];
    const texts = await Promise.all(items.map(textOf));
    items.forEach((n, i) => { n.text = texts[i]; });
    fill("notes", items, t.no_notes, (n) => {
      const item = document.createElement("li");
      const when = document.createElement("strong");
      when.textContent = new Date(n.created_at).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" }) + ": ";
      item.append(when, document.createTextNode(n.text));
      return item;
    });
  }

  async function work() {
    $("status").value = open.status;
    $("hours-spent").value = open.hours_spent || 0;
    $("work-done").textContent = "";
    const closed = open.status === "closed";
    for (const field of $("work").elements) field.disabled = closed;
    $("reopen").hidden = !closed || open.purged;
    const planned = open.follow_up;
    $("follow-up-planned").textContent = planned
      ? `${planned.sent ? t.follow_up_sent : t.follow_up_on} ${day(planned.due)}` : "";
    // The organisation's places to refer to, then "elsewhere" in the confidant's words.
    const answer = await api(`/v1/cases/${open.case_id}/referrals?lang=${document.documentElement.lang}`);
    const places = answer.ok ? (await answer.json()).items : [];
    $("referral-place").replaceChildren(...places.map((p) => new Option(p.name, p.id)), new Option(t.referral_own, ""));
    closing();
  }

  // The outcome is asked only when closing, the referral only for a referral.
  function closing() {
    const closes = $("status").value === "closed";
    $("closing").hidden = !closes;
    $("referral").hidden = !(closes && $("outcome").value === "referral");
    $("referral-own").hidden = $("referral-place").value !== "";
  }

  async function show(c) {
    open = c;
    problem.hidden = true;
    // Hidden while the case loads: nothing of the previous case can be acted on meanwhile.
    $("one").hidden = true;
    $("one-title").textContent = c.reference;
    // The case first: its keys open the messages and notes that follow.
    await report();
    await Promise.all([messages(), notes()]);
    await work();
    // Booking's page books for this case or proposes times, and comes back with the message.
    $("plan").href = `${main.dataset.booking}staff/plan?${new URLSearchParams({ case: c.case_id, ref: c.reference })}#`
      + new URLSearchParams({ t: token });
    if (ready && c.case_id === linked) { $("message").value = ready; ready = ""; }
    const one = $("one");
    one.hidden = false;
    one.focus();
  }

  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    // The password never leaves this page: the log-in secret derived from it does.
    const username = $("username").value.trim();
    const secret = await loginSecret(username, $("password").value);
    let answer = await client(null)("/v1/auth/token", "POST", { username, login_secret: secret });
    if (answer.status === 401 && (await answer.clone().json()).error.code === "password_needed") {
      // An account set up before log-in secrets: the password this once, then the secret.
      answer = await client(null)("/v1/auth/token", "POST", { username, password: $("password").value });
    }
    if (answer.status !== 200) { say(problem, t.wrong); return; }
    let login = await answer.json();
    if (login.second_factor) {  // the account has a security key: it finishes the log-in
      say(problem, t.key_login);
      const done = await secondFactor(login.second_factor);
      if (!done || done.status !== 200) { say(problem, t.wrong); return; }
      problem.hidden = true;
      login = await done.json();
    }
    token = login.access_token;
    api = client(token);
    if (login.role === "org_admin") {
      // An organisation's admin has no cases here: their reports are on reporting's page.
      location.assign(main.dataset.reporting + "org" + carry + "#" + new URLSearchParams({ t: token }));
      return;
    }
    sessionStorage.setItem("staff", token);
    if (login.role === "admin") { location.assign("/office" + carry); return; } // the office's page
    if (await keysReady($("password").value)) await opened();
  });

  // The first log-in makes this person's keys (issue 26) once the firm has an escrow key:
  // the recovery kit is shown, asked back, and only then are the keys kept and the cases
  // shown. Every later log-in finds them kept.
  let pendingKeys = null;
  let pendingRecovery = null;
  async function keysReady(password) {
    const escrow = await api("/v1/keys/escrow");
    if (!escrow.ok) return true; // no escrow key yet (or not now): no keys to make yet
    const kept = await api("/v1/me/keys");
    if (kept.status === 200) {
      const keys = await kept.json();
      try {
        mine = await unlock(keys, password);
      } catch {
        // Not the password the keys were locked with (reset by the office): the kit opens
        // them, and they are locked with this password from then on.
        pendingRecovery = { keys, password, firm: await escrow.json() };
        $("login").hidden = true;
        $("recover").hidden = false;
        $("recover-kit").focus();
        return false;
      }
      const firm = await escrow.json();
      await sealOn(firm.signing_key);
      await rotate(firm.public_key);
      return true;
    }
    const made = await makeKeys(password, (await escrow.json()).public_key);
    pendingKeys = made;
    $("kit-code").textContent = made.kit;
    $("login").hidden = true;
    $("kit").hidden = false;
    $("kit-again").focus();
    return false;
  }

  // Cases the office handed over whose key this person holds: sealed on, here, to the new
  // confidant's key once the firm's certificate on it checks out (never to another key).
  async function sealOn(signingKey) {
    const answer = await api("/v1/keys/pending");
    if (!answer.ok) return;
    for (const waiting of (await answer.json()).items) {
      if (!(await certifiedKey(signingKey, waiting.holder))) continue;
      const key = await caseKey(mine, waiting.wrap, waiting.public_key);
      await api(`/v1/cases/${waiting.case_id}/wraps`, "POST",
        { holder: waiting.holder.person_id, wrap: await sealKey(waiting.holder.public_key, key) });
    }
  }

  // Cases of mine whose key someone else knew (who handed it over, or left): a new key,
  // here, so that what comes from now on is sealed to a key they never had.
  async function rotate(escrowPublicKey) {
    const answer = await api("/v1/keys/rotations");
    if (!answer.ok) return;
    for (const waiting of (await answer.json()).items) {
      await api(`/v1/cases/${waiting.case_id}/key`, "POST", await rotation(mine, waiting, escrowPublicKey));
    }
  }

  $("recover-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const { keys, password, firm } = pendingRecovery;
    try { mine = await recover(keys, $("recover-kit").value); } catch { say(problem, t.recover_wrong); return; }
    const answer = await api("/v1/me/keys", "PATCH", await rewrap(mine, password));
    if (answer.status !== 200) { await refused(answer); return; }
    pendingRecovery = null;
    $("recover").hidden = true;
    $("recover-kit").value = "";
    await sealOn(firm.signing_key);
    await rotate(firm.public_key);
    await opened();
  });

  $("kit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    let typed;
    try { typed = fromKit($("kit-again").value); } catch { typed = null; }
    const shown = fromKit(pendingKeys.kit);
    if (!typed || typed.some((byte, i) => byte !== shown[i])) { say(problem, t.kit_mismatch); return; }
    const answer = await api("/v1/me/keys", "PUT", pendingKeys.body);
    if (answer.status !== 201 && answer.status !== 409) { await refused(answer); return; }
    mine = pendingKeys.pair;
    pendingKeys = null;
    $("kit").hidden = true;
    await opened();
  });

  // What is written to a sealed case is sealed here: to the case, and a message also to the
  // reporter. An answer relayed by e-mail or WhatsApp goes as text (intake seals it).
  async function written(text, message) {
    const vault = sealedCase && sealedCase.vault;
    if (!vault || (message && vault.relay)) return { text };
    if (!message) return { sealed: await sealText(vault.public_key, text) };
    // Signed in front of the text, so the reporter's page knows it is the confidant's.
    const keys = [vault.public_key, ...(vault.reporter_key ? [vault.reporter_key] : [])];
    const [toCase, toReporter] = await sealSigned(mine, sealedCase.case_id, text, ...keys);
    return { sealed: toCase, ...(toReporter ? { reporter: toReporter } : {}), signed: true };
  }

  $("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("message");
    if (!box.value.trim()) return;
    const text = box.value.trim();
    const answer = await api(`/v1/cases/${open.case_id}/messages`, "POST", await written(text, true));
    if (answer.status !== 201) { await refused(answer); return; }
    box.value = "";
    await messages();
  });

  $("note-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("note");
    if (!box.value.trim()) return;
    const answer = await api(`/v1/cases/${open.case_id}/notes`, "POST", await written(box.value.trim(), false));
    if (answer.status !== 201) { await refused(answer); return; }
    box.value = "";
    await notes();
  });

  $("status").addEventListener("change", closing);
  $("outcome").addEventListener("change", closing);
  $("referral-place").addEventListener("change", closing);

  $("work").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const change = { hours_spent: Number($("hours-spent").value || 0) };
    const status = $("status").value;
    if (status !== open.status) change.status = status;
    if (status === "closed") {
      change.outcome = $("outcome").value;
      if (change.outcome === "referral" && $("referral-place").value) {
        change.referral = $("referral-place").value;
      } else if (change.outcome === "referral" && $("referral-to").value.trim()) {
        change.referral_to = $("referral-to").value.trim();
      }
      if ($("follow-up").value) change.follow_up_days = Number($("follow-up").value);
    }
    const answer = await api(`/v1/cases/${open.case_id}`, "PATCH", change);
    if (answer.status !== 200) { await refused(answer); return; }
    open = await answer.json();
    await work();
    $("work-done").textContent = t.saved;
    await cases();
  });

  $("reopen").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await api(`/v1/cases/${open.case_id}/reopen`, "POST", { reason: $("reopen-reason").value.trim() });
    if (answer.status !== 200) { await refused(answer); return; }
    open = await answer.json();
    $("reopen-reason").value = "";
    await work();
    await cases();
  });

  // Registering a report that came in by phone, WhatsApp, e-mail, in person or by letter.
  async function registration() {
    const answer = await api("/v1/orgs?limit=1000");
    if (answer.status !== 200) return;
    const select = $("reg-org");
    select.replaceChildren();
    const orgs = (await answer.json()).items || [];
    // Reporting's page for reports and signals gets the token and the organisations' names.
    const names = Object.fromEntries(orgs.map((o) => [o.id, o.name]));
    $("reports-link").href = main.dataset.reporting + "reports" + carry + "#"
      + new URLSearchParams({ t: token, names: JSON.stringify(names) });
    for (const org of orgs) {
      const option = document.createElement("option");
      option.value = org.slug;
      option.textContent = org.name;
      select.append(option);
    }
    // The organisation's departments, if it keeps a list: optional, as on its report page.
    const departments = () => {
      const chosen = orgs.find((o) => o.slug === select.value);
      const listed = (chosen && chosen.departments) || [];
      $("reg-department").replaceChildren(new Option(t.unknown, ""), ...listed.map((d) => new Option(d, d)));
      $("reg-department-box").hidden = !listed.length;
    };
    select.onchange = departments;
    departments();
    $("reg-received").max = new Date().toISOString().slice(0, 10);
    if (!$("reg-received").value) $("reg-received").value = $("reg-received").max;
  }

  $("reg-anonymous").addEventListener("change", () => {
    $("reg-contact").hidden = $("reg-anonymous").checked;
  });

  $("register").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const me = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub;
    const day = $("reg-received").value;
    const body = {
      organisation: $("reg-org").value,
      channel: $("reg-channel").value,
      category: $("reg-category").value,
      anonymous: $("reg-anonymous").checked,
      preferred_confidant: me,  // the one who takes the call keeps the case
      case_code: $("reg-code").checked,
      locale: lang === "en" ? "en" : "nl",
    };
    if ($("reg-text").value.trim()) body.text = $("reg-text").value.trim();
    if ($("reg-department").value) body.department = $("reg-department").value;
    // A day before today: from midday of that day (today: from now).
    if (day && day !== new Date().toISOString().slice(0, 10)) body.received_at = new Date(day + "T12:00").toISOString();
    if (!body.anonymous) {
      body.contact = { name: $("reg-name").value.trim() || null };
      if ($("reg-email").value.trim()) body.contact.email = $("reg-email").value.trim();
      if ($("reg-phone").value.trim()) body.contact.phone = $("reg-phone").value.trim();
    }
    const answer = await api("/v1/cases", "POST", body);
    if (answer.status !== 201) { await refused(answer); return; }
    const made = await answer.json();
    $("registered").textContent = `${t.registered} ${made.reference}.`
      + (made.case_code ? ` ${t.code_to_pass} ${made.case_code}` : "");
    $("register").reset();
    $("reg-contact").hidden = true;
    await registration();
    await cases();
  });

  // The list, and the case a link named (by id or reference), if it is one of mine.
  async function opened() {
    const list = await cases();
    showKeys();
    await registration();
    if (location.pathname === "/agenda" && list) { location.assign($("agenda").href); return; }
    const wanted = linked && ((list || []).find((c) => c.case_id === linked || c.reference === linked)
      || await lookUp(linked.toUpperCase()));
    if (wanted) await show(wanted);
  }

  // A security key (WebAuthn) as the log-in's second step, and adding one.
  async function secondFactor(ceremony) {
    let credential;
    try {
      credential = await navigator.credentials.get(
        { publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(ceremony.options) });
    } catch { return null; }
    return client(null)("/v1/auth/webauthn", "POST",
      { challenge_id: ceremony.challenge_id, credential: credential.toJSON() });
  }

  async function showKeys() {
    const answer = await api("/v1/me/webauthn");
    if (answer.ok) $("key-state").textContent = `${t.keys_count} ${(await answer.json()).items.length}`;
  }

  $("add-key").addEventListener("click", async () => {
    const ceremony = await (await api("/v1/me/webauthn/options", "POST")).json();
    let credential;
    try {
      credential = await navigator.credentials.create(
        { publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(ceremony.options) });
    } catch { $("key-state").textContent = t.key_failed; return; }
    const answer = await api("/v1/me/webauthn", "POST",
      { challenge_id: ceremony.challenge_id, credential: credential.toJSON() });
    $("key-state").textContent = answer.status === 201 ? t.key_added : t.key_failed;
  });

  // A reload keeps the token but not the key pair: whoever has keys logs in again.
  async function resume() {
    if ((await api("/v1/me/keys")).status === 200) {
      sessionStorage.removeItem("staff");
      token = null;
      say(problem, t.unlock);
      return;
    }
    await opened();
  }

  if (token) resume();
})();
