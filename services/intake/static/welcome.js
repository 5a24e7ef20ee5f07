// Setting one's password with the office's one-time link: the token is in the fragment (no
// server sees it in a log or a referrer); it is used once, then the page leads to the log-in.
import { client } from "/static/common/api.js";
import { $, say, sayRefusal, textsOf } from "/static/common/dom.js";
import { loginSecret } from "/static/common/keys.js";

(function () {
  const main = $("welcome");
  const t = textsOf(main);
  const problem = $("problem");
  const token = location.hash.slice(1);
  history.replaceState(null, "", location.pathname + location.search);
  if (!token) { say(problem, t.no_link); $("set-password").hidden = true; return; }

  $("set-password").addEventListener("submit", async (event) => {
    event.preventDefault();
    const password = $("new-password").value;
    if (password !== $("again").value) { say(problem, t.differ); return; }
    if (password.length < 12) { say(problem, t.too_short); return; }
    // Not the password: the log-in secret derived from it with the account's user name.
    const account = await client(null)("/v1/staff/welcome/account", "POST", { token });
    if (account.status !== 200) { await sayRefusal(problem, t.failed, account); return; }
    const { username } = await account.json();
    const answer = await client(null)("/v1/staff/welcome", "POST",
      { token, login_secret: await loginSecret(username, password) });
    if (answer.status !== 200) { await sayRefusal(problem, t.failed, answer); return; }
    problem.hidden = true;
    $("set-password").hidden = true;
    $("done").hidden = false;
    $("done").focus();
  });
})();
