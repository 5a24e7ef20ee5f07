// The report form: sends the report to /v1/cases (same origin) and shows the code once, in
// groups, with ways to keep it; once the reporter says it is kept, the next steps.
import { client } from "/static/common/api.js";
import { $, sayRefusal, textsOf } from "/static/common/dom.js";
import { codeKeys, newCode } from "/static/common/keys.js";

(function () {
  const form = $("report");
  if (!form) return;
  const t = textsOf(form);
  const anonymous = $("anonymous");
  const contact = $("contact");
  const problem = $("problem");
  const showContact = () => { contact.hidden = anonymous.checked; };
  anonymous.addEventListener("change", showContact);
  showContact();
  // The address to come back at, whole, to write down (the link itself is relative).
  for (const a of document.querySelectorAll("a.case-url")) {
    a.textContent = new URL(a.getAttribute("href"), location.href).href.split("?")[0];
  }

  // (getRandomValues, unlike randomUUID, works on plain http too)
  const reportKey = Array.from(crypto.getRandomValues(new Uint8Array(16)),
                               (b) => b.toString(16).padStart(2, "0")).join("");
  // The case code is made here and never sent: intake gets only what it derives.
  const code = newCode();
  const derived = codeKeys(code);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    problem.hidden = true;
    const value = (id) => $(id).value.trim();
    const body = {
      organisation: form.dataset.organisation,
      locale: form.dataset.locale,
      category: value("category"),
      reporter_role: value("reporter_role"),
      anonymous: anonymous.checked,
    };
    if (value("meeting_mode")) body.meeting_mode = value("meeting_mode");
  if ($("department") && value("department")) body.department = value("department");
  if ($("preferred_confidant") && value("preferred_confidant")) {
    body.preferred_confidant = value("preferred_confidant");
  }
    if (value("text")) body.text = value("text");
    if (!anonymous.checked) {
      body.contact = { name: value("name") || null, email: value("email") || null,
                       preferred_channel: "email" };
    }
    body.case_code = false;
    body.reporter_keys = (await derived).forReport;
    // One key per report: sent again after a lost answer, it returns the same case and
    // code instead of opening a second case.
    const answer = await client(null)("/v1/cases", "POST", body, { "Idempotency-Key": reportKey });
    if (answer.status !== 201) {
      await sayRefusal(problem, t.error, answer);
      return;
    }
    const data = await answer.json();
    form.hidden = true;
    document.querySelector(".have-code").hidden = true;
    // Groups of four that never break inside; a line may break only between them.
    const shown = $("case-code");
    code.split("-").forEach((group, i, all) => {
      const span = document.createElement("span");
      span.className = "group";
      span.textContent = group + (i < all.length - 1 ? "-" : "");
      shown.append(span);
      if (i < all.length - 1) shown.append(document.createElement("wbr"));
    });
    // What comes next, in the words the API gave, once the code is kept.
    $("next-title").textContent = data.confirmation.title;
    $("next-steps").replaceChildren(...data.confirmation.next_steps.map((step) => {
      const li = document.createElement("li");
      li.textContent = step;
      return li;
    }));
    // The booking page gets the case token in the fragment: never sent to a server.
    const fragment = new URLSearchParams({ t: data.token, c: data.confidant_id, l: form.dataset.locale });
    const book = $("book");
    book.href = book.getAttribute("href").split("#")[0] + "#" + fragment.toString();
    const section = $("code");
    section.hidden = false;
    section.focus();
  });

  $("copy").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code);
      $("kept").textContent = t.copied;
    } catch {  // no clipboard (an insecure page, a refusal): select it for the reporter
      const range = document.createRange();
      range.selectNodeContents($("case-code"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      $("kept").textContent = t.not_copied;
    }
  });

  $("download").addEventListener("click", () => {
    const back = document.querySelector("a.case-url").textContent;
    const text = `${form.dataset.orgName}\n\n${t.file_code}: ${code}\n${t.file_back}: ${back}\n`;
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    link.download = t.file_name;
    document.body.append(link);
    link.click();
    link.remove();
    $("kept").textContent = t.downloaded;
  });

  $("saved").addEventListener("change", (event) => {
    const next = $("next");
    next.hidden = !event.target.checked;
    if (!next.hidden) next.focus();
  });
})();
