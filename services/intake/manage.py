"""Create the first admin account (the API creates the rest).

    python -m services.intake.manage create-admin USERNAME < password-file

Reads the same settings as the service; the password comes from standard input (at least
12 characters) so that it never shows in the process list or the shell history.
"""

from __future__ import annotations

import asyncio
import sys

from argon2 import PasswordHasher
from pydantic import ValidationError
from pymongo.errors import DuplicateKeyError

from services.intake.api.models import StaffCreate
from services.intake.domain.accounts import LOGIN_SECRET
from services.intake.domain.codes import new_id
from services.intake.settings import IntakeSettings
from services.intake.store import documents as docs
from services.intake.store.collections import INDEXES, STAFF
from shared import envelope
from shared.clock import Clock
from shared.db import Mongo
from shared.settings import SettingsError, command_line


async def create_admin(settings: IntakeSettings, username: str, password: str) -> str:
    body = StaffCreate(username=username, password=password, role="admin", display_name=username)
    mongo = Mongo(settings.mongodb_uri, settings.database_name)
    try:
        await mongo.ensure_indexes({STAFF: INDEXES[STAFF]})
        doc: docs.Staff = {
            "_id": new_id(),
            "username": body.username,
            "role": "admin",
            "display_name": body.display_name,
            "active": True,
            # (the password checked by StaffCreate; kept as the hash of its log-in secret)
            "password_hash": PasswordHasher().hash(envelope.login_secret(username, password)),
            "password_form": LOGIN_SECRET,
            "created_at": Clock().now(),
        }
        await docs.staff(mongo.db).insert_one(doc)
        return str(doc["_id"])
    finally:
        await mongo.close()


def main(argv: list[str] | None = None) -> int:
    parser, sub = command_line("python -m services.intake.manage", __doc__)
    create = sub.add_parser("create-admin", help="create an admin account")
    create.add_argument("username")
    args = parser.parse_args(argv)
    try:
        settings = IntakeSettings.from_env()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\n")
    try:
        staff_id = asyncio.run(create_admin(settings, args.username.lower(), password))
    except ValidationError as exc:
        fields = ", ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        print(f"not created: {fields}", file=sys.stderr)
        return 2
    except DuplicateKeyError:
        print(f"not created: the user name {args.username!r} is taken", file=sys.stderr)
        return 1
    print(f"admin {args.username!r} created ({staff_id})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
