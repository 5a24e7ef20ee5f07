"""Mail: Dovecot (the organisations' mailboxes, IMAP and LMTP) and the SMTP sink that keeps
every sent mail as a file."""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from deploy.stack.process import Process, tcp_open


def _mail_home(data: Path) -> Path:
    """Where Dovecot keeps the mailboxes. Run as root, Dovecot reads and writes mail as its
    own ``dovecot`` user, which must reach the folder: when an ancestor is closed to others
    (pytest's temporary folders are), a folder in the system's temporary space is used."""
    home = data / "mail"
    if os.geteuid() != 0:
        return home
    open_path = all(os.stat(p).st_mode & 0o001 for p in [*home.parents][:-1] if p.exists())
    if not open_path:
        digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
        home = Path(tempfile.gettempdir()) / f"vertrouwd-mail-{digest}"
    home.mkdir(parents=True, exist_ok=True)
    shutil.chown(home, "dovecot", "dovecot")
    return home


def dovecot(data: Path, port: int, lmtp_port: int) -> Process:
    """IMAP with one mailbox per user (Debian's ``dovecot-imapd``), and LMTP to deliver into
    them as a mail server would. Users are added with ``mailbox_user``."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    data.mkdir(parents=True, exist_ok=True)
    users = data / "users"
    users.touch()
    home = _mail_home(data)
    auth_user = ""
    if os.geteuid() == 0:  # its processes must not run as root: Dovecot's own users
        login, internal, group = "dovenull", "dovecot", "dovecot"
        uid, gid = _ids("dovecot")
        # Except authentication, which reads the users file inside our (closed) folder.
        auth_user = "service auth {\n  user = root\n}\n"
    else:
        login = internal = os.environ.get("USER") or _user_name()
        group = _group_name()
        uid, gid = os.getuid(), os.getgid()
    (data / "dovecot.conf").write_text(
        f"""protocols = imap lmtp
listen = 127.0.0.1
base_dir = {data / "run"}
state_dir = {data / "state"}
log_path = {data / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
{auth_user}"""
    )
    (data / "run" / "master.pid").unlink(missing_ok=True)  # a crash's leftover blocks a start
    return Process(
        "imap",
        [binary, "-F", "-c", str(data / "dovecot.conf")],
        ready=lambda: tcp_open("127.0.0.1", port) and tcp_open("127.0.0.1", lmtp_port),
        url=f"imap://127.0.0.1:{port} (LMTP 127.0.0.1:{lmtp_port})",
        log_path=data.parent / "imap.log",
    )


def mailbox_user(data: Path, user: str, password: str) -> None:
    """Add a mailbox to an embedded Dovecot (it reads the file again when it changes)."""
    users = data / "users"
    known = users.read_text().splitlines() if users.exists() else []
    if not any(line.startswith(f"{user}:") for line in known):
        with open(users, "a") as f:
            f.write(f"{user}:{{PLAIN}}{password}\n")


def _ids(name: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group_name() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def smtp_sink(maildir: Path, port: int) -> Process:
    maildir.mkdir(parents=True, exist_ok=True)
    return Process(
        "smtp",
        [sys.executable, "-m", "deploy.smtp_sink", "--port", str(port), "--maildir", str(maildir)],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"smtp://127.0.0.1:{port} (messages in {maildir})",
        log_path=maildir.parent / "smtp.log",
    )
