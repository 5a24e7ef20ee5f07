// Coming back with the case code: the messages, a reply, the appointment, and on to booking.
import { client } from "/static/common/api.js";
import { $, item, say, textsOf, withLinks } from "/static/common/dom.js";

(function () {
  const main = $("case");
  const t = textsOf(main);
  const problem = $("problem");
  let session = null;
  let api = client(null); // with the case's token once the code is right

  const show = (messages) => {
    const list = $("messages");
    list.replaceChildren();
    if (!messages.length) list.append(item(t.none));
    for (const m of messages) {
      const said = document.createElement("li");
      const who = document.createElement("strong");
      who.textContent = ({ reporter: t.you, system: t.automatic }[m.author] || t.confidant) + ": ";
      // The confidant's links (times proposed, a video room) open; the reporter's own text
      // stays text.
      said.append(who, m.author === "confidant" ? withLinks(m.text) : document.createTextNode(m.text));
      list.append(said);
    }
  };
  const load = async () => {
    const answer = await api(`/v1/cases/${session.case_id}/messages?limit=1000`);
    show((await answer.json()).items || []);
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
    const answer = await api("/v1/cases/access", "POST", {
      case_code: $("case-code").value.trim(),
      ...(main.dataset.org ? { organisation: main.dataset.org } : {}),
    });
    if (answer.status !== 200) { say(problem, t.wrong); return; }
    session = await answer.json();
    api = client(session.token);
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
    const answer = await api(`/v1/cases/${session.case_id}/messages`, "POST", { text: box.value.trim() });
    if (answer.status === 201) { box.value = ""; await load(); }
  });
})();
