// Coming back with the case code: the messages, a reply, the appointment, and on to booking.
import { client } from "/static/common/api.js";
import { $, item, say, textsOf, withLinks } from "/static/common/dom.js";
import { codeKeys, normalise, openSigned, openText, sealText } from "/static/common/keys.js";

(function () {
  const main = $("case");
  const t = textsOf(main);
  const problem = $("problem");
  let session = null;
  let keys = null; // the reporter's, derived from the code here
  let vault = null; // a case sealed to its own key: its public keys
  let api = client(null); // with the case's token once the code is right

  // A sealed message is opened with the reporter's key, here; one kept under the server's
  // keys (a case from before) comes as text. A confidant's signed message shows only if the
  // signature is the confidant's (whose keys the firm certified); one that says it is
  // signed but is not, says so instead. In a sealed case, only a signed message is shown
  // as the confidant's: anything else in their name is the system's.
  const textOf = async (m) => {
    if (!m.sealed) return { text: m.text ?? t.unreadable, verified: !vault };
    try {
      if (m.signed) {
        const text = await openSigned(keys.pair, m.sealed, session.case_id, vault.signing_key, vault.confidant);
        return { text: text ?? t.unverified, verified: text !== null };
      }
      return { text: await openText(keys.pair, m.sealed), verified: false };
    } catch { return { text: t.unreadable, verified: false }; }
  };

  const show = (messages) => {
    const list = $("messages");
    list.replaceChildren();
    if (!messages.length) list.append(item(t.none));
    for (const m of messages) {
      const said = document.createElement("li");
      const who = document.createElement("strong");
      const author = m.author === "confidant" && !m.verified ? "system" : m.author;
      who.textContent = ({ reporter: t.you, system: t.automatic }[author] || t.confidant) + ": ";
      // The confidant's links (times proposed, a video room) open; the reporter's own text
      // stays text.
      said.append(who, m.author === "confidant" ? withLinks(m.text) : document.createTextNode(m.text));
      list.append(said);
    }
  };
  const load = async () => {
    const answer = await api(`/v1/cases/${session.case_id}/messages?limit=1000`);
    const items = (await answer.json()).items || [];
    const opened = await Promise.all(items.map(textOf));
    show(items.map((m, i) => ({ ...m, ...opened[i] })));
  };

  // The appointments as the timeline leaves them: the last word on each (booked or moved:
  // when and how; cancelled: gone), in the browser's time zone.
  const appointments = async () => {
    const answer = await api(`/v1/cases/${session.case_id}/timeline?limit=1000`);
    const last = new Map();
    for (const e of (await answer.json()).items || []) last.set(e.appointment_id, e);
    const current = [...last.values()].filter((e) => !e.type.endsWith(".cancelled") && e.starts_at);
    const list = $("appointments");
    list.replaceChildren();
    if (!current.length) list.append(item(t.no_appointment));
    for (const e of current) {
      const when = new Date(e.starts_at).toLocaleString(main.dataset.locale, { dateStyle: "full", timeStyle: "short" });
      list.append(item(`${when}, ${t[e.mode] || e.mode}`));
    }
    $("book").textContent = current.length ? t.change : t.book;
  };

  $("access").addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const code = normalise($("case-code").value);
    if (!code) { say(problem, t.wrong); return; }
    const org = main.dataset.org ? { organisation: main.dataset.org } : {};
    // What the code derives, so the code stays here; a case from before vaults was found by
    // the code itself, so that is asked next.
    keys = await codeKeys(code);
    let answer = await api("/v1/cases/access", "POST", { ...keys.forAccess, ...org });
    if (answer.status === 401) answer = await api("/v1/cases/access", "POST", { case_code: code, ...org });
    if (answer.status !== 200) { say(problem, t.wrong); return; }
    session = await answer.json();
    api = client(session.token);
    vault = (await (await api(`/v1/cases/${session.case_id}`)).json()).vault;
    $("access").hidden = true;
    const fragment = new URLSearchParams({ t: session.token, c: session.confidant_id, l: main.dataset.locale });
    // On to booking in this page's language, the token in the fragment (never sent).
    const lang = main.dataset.locale === "en" ? "?lang=en" : "";
    $("book").href = `${main.dataset.booking}book${lang}#${fragment}`;
    await Promise.all([load(), appointments()]);
    const opened = $("opened");
    opened.hidden = false;
    opened.focus();
  });

  $("reply").addEventListener("submit", async (event) => {
    event.preventDefault();
    const box = $("message");
    if (!box.value.trim()) return;
    const text = box.value.trim();
    // To a sealed case: sealed here, to the case and to the reporter's own key.
    const body = vault
      ? { sealed: await sealText(vault.public_key, text), reporter: await sealText(vault.reporter_key, text) }
      : { text };
    const answer = await api(`/v1/cases/${session.case_id}/messages`, "POST", body);
    if (answer.status === 201) { box.value = ""; await load(); }
  });
})();
