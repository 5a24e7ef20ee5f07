"""Development keys and tokens, for ``make run`` and for trying the API by hand.

    python -m shared.devtokens keys .data/keys
    python -m shared.devtokens token --keys .data/keys --role admin --aud intake
    python -m shared.devtokens token --keys .data/keys --role org_admin --org org-1 --aud reporting

In production, keys come from the operator's secret store and intake's login issues tokens.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from shared.auth import ROLES, Issuer, new_key, private_pem
from shared.crypto import ensure_data_keys
from shared.settings import command_line

PRIVATE = "signing-key.pem"
KID = "signing-key.kid"
JWKS = "jwks.json"


def ensure_keys(directory: Path, kid: str | None = None) -> Path:
    """Create a key pair in ``directory`` unless one is there; return the JWKS path."""
    directory.mkdir(parents=True, exist_ok=True)
    if not (directory / PRIVATE).exists():
        key = new_key()
        kid = kid or f"dev-{uuid.uuid4().hex[:12]}"
        (directory / PRIVATE).write_bytes(private_pem(key))
        (directory / PRIVATE).chmod(0o600)
        (directory / KID).write_text(kid)
        (directory / JWKS).write_text(json.dumps(Issuer(key, kid).jwks(), indent=2))
    return directory / JWKS


def load_issuer(directory: Path, issuer: str = "vertrouwd") -> Issuer:
    return Issuer.from_pem_file(directory / PRIVATE, read_kid(directory), issuer)


def read_kid(directory: Path) -> str:
    return (directory / KID).read_text().strip()


SERVICE_TOKEN_TTL_S = 365 * 86400


def service_token(directory: Path, service: str, audience: list[str]) -> Path:
    """Write a token for ``service`` to call the others (development: issued afresh at
    every start, valid a year; production issues one the same way and rotates it)."""
    path = directory / f"{service}-service.token"
    token = load_issuer(directory).issue(
        sub=service, role="service", audience=audience, ttl_s=SERVICE_TOKEN_TTL_S
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(token)
    tmp.chmod(0o600)
    tmp.replace(path)
    return path


def secrets_env(directory: Path) -> dict[str, str]:
    """The secrets the services need besides the JWKS (development): intake's signing key
    and data keys, booking's and notify's data keys (each service its own), and notify's
    token for asking intake and booking."""
    return {
        "NOTIFY_SERVICE_TOKEN_FILE": str(service_token(directory, "notify", ["intake", "booking"])),
        "NOTIFY_DATA_KEYS_FILE": str(ensure_data_keys(directory / "notify-data-keys.json")),
        "INTAKE_SIGNING_KEY_FILE": str(directory / PRIVATE),
        "INTAKE_SIGNING_KID": read_kid(directory),
        "INTAKE_DATA_KEYS_FILE": str(ensure_data_keys(directory / "data-keys.json")),
        "BOOKING_DATA_KEYS_FILE": str(ensure_data_keys(directory / "booking-data-keys.json")),
    }


def main(argv: list[str] | None = None) -> int:
    parser, sub = command_line("python -m shared.devtokens", __doc__)
    keys = sub.add_parser("keys", help="create a signing key and its JWKS (kept if present)")
    keys.add_argument("directory", type=Path)
    keys.add_argument("--kid", default=None, help="key id (default: a random one)")
    token = sub.add_parser("token", help="print a signed token")
    token.add_argument("--keys", type=Path, required=True, help="folder made by 'keys'")
    token.add_argument("--role", choices=sorted(ROLES), required=True)
    token.add_argument(
        "--aud", required=True, action="append", help="service the token is for (repeatable)"
    )
    token.add_argument("--sub", default="dev-user")
    token.add_argument("--org", action="append", default=[], help="organisation id (repeatable)")
    token.add_argument("--case", default=None, help="case id, for an employee token")
    token.add_argument("--ttl", type=int, default=3600, help="seconds the token is valid")
    args = parser.parse_args(argv)

    if args.command == "keys":
        print(ensure_keys(args.directory, args.kid))
        return 0
    issuer = load_issuer(args.keys)
    single_org = args.role in ("org_admin", "employee")
    if single_org and len(args.org) != 1:
        parser.error(f"--role {args.role} needs exactly one --org")
    print(
        issuer.issue(
            sub=args.sub,
            role=args.role,
            audience=args.aud if len(args.aud) > 1 else args.aud[0],
            ttl_s=args.ttl,
            orgs=() if single_org else args.org,
            org_id=args.org[0] if single_org else None,
            case_id=args.case,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
