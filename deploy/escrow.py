"""The firm's escrow key (issue 26): the key that every confidant's and every case's private
key is also sealed to, so that a lost password and a lost recovery kit do not lose the
cases. Its private half is never on a server: made on an offline machine, shown once as
shares, any two of three of which make it again (Shamir's secret sharing, pycryptodome's).

    python -m deploy.escrow new              # on the offline machine: the public key, 3 shares
    python -m deploy.escrow open ENVELOPE    # 2 shares on stdin: the envelope opened
    python -m deploy.escrow certify ID KEY [MESSAGE-KEY]  # 2 shares on stdin: a certificate

``new`` prints the public key (base64) for the servers and one line per keeper. Each line
carries the key's fingerprint, so a mistyped or foreign share is refused by name rather
than making a wrong key. ``open`` reads shares (one per line) until it has enough, makes
the private key in memory only, and prints what the envelope holds, base64 (a case's or a
person's private key, to wrap again for them: docs/operations.md, "The escrow ceremony").
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sys
from pathlib import Path

from Crypto.Protocol.SecretSharing import Shamir
from nacl.public import PrivateKey

from shared import envelope

PREFIX = "VE1"
NEEDED, SHARES = 2, 3


class EscrowError(ValueError):
    pass


def fingerprint(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:8]


def split(pair: envelope.KeyPair, needed: int = NEEDED, shares: int = SHARES) -> list[str]:
    """The private key as ``shares`` lines, any ``needed`` of which make it again. Shamir
    over GF(2^128) takes 16 bytes at a time: the two halves are split alike, by index."""
    halves = [Shamir.split(needed, shares, pair.private[i : i + 16]) for i in (0, 16)]
    mark = fingerprint(pair.public)
    return [
        f"{PREFIX}-{mark}-{needed}-{index}-{first.hex()}{second.hex()}"
        for (index, first), (_, second) in zip(*halves, strict=True)
    ]


def combine(lines: list[str]) -> envelope.KeyPair:
    """The key pair from shares of it; refused when they are too few, of different keys,
    or do not make the key their fingerprint names."""
    parsed: dict[int, bytes] = {}
    marks, needed = set(), 0
    for line in (raw.strip() for raw in lines if raw.strip()):
        try:
            prefix, mark, need, index, hexed = line.split("-")
            share = bytes.fromhex(hexed)
            if prefix != PREFIX or len(share) != 32:
                raise ValueError
            parsed[int(index)] = share
            needed = int(need)
        except ValueError:
            raise EscrowError(f"not an escrow share: {line[:16]}…") from None
        marks.add(mark)
    if len(marks) > 1:
        raise EscrowError("these shares are of different keys")
    if not parsed or len(parsed) < needed:
        raise EscrowError(f"{len(parsed)} share(s); {needed or NEEDED} are needed")
    chosen = sorted(parsed.items())[:needed]
    private = b"".join(
        Shamir.combine([(i, share[half : half + 16]) for i, share in chosen]) for half in (0, 16)
    )
    public = bytes(PrivateKey(private).public_key)
    if fingerprint(public) != marks.pop():
        raise EscrowError("these shares do not make the escrow key (one is mistyped?)")
    return envelope.KeyPair(public, private)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.escrow", description=__doc__)
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("new", help="make the escrow key: its public half and the shares")
    opening = steps.add_parser("open", help="open an envelope sealed to escrow (shares on stdin)")
    opening.add_argument("envelope", type=Path, help="the envelope's file (raw bytes)")
    certifying = steps.add_parser(
        "certify", help="sign a person's public key with the firm's key (shares on stdin)"
    )
    certifying.add_argument("person", help="their id (a confidant's id)")
    certifying.add_argument("public_key", help="their public key, base64, as the office shows")
    certifying.add_argument(
        "message_key", nargs="?", help="the key their messages are signed with, base64, if any"
    )
    args = parser.parse_args(argv)
    if args.step == "new":
        pair = envelope.KeyPair.generate()
        print("The escrow public key, for the servers (INTAKE_ESCROW_PUBLIC_KEY):")
        print(base64.b64encode(pair.public).decode())
        print("\nThe firm's signing key, for the servers (INTAKE_FIRM_SIGNING_KEY):")
        print(base64.b64encode(envelope.signing_public(pair.private)).decode())
        print(f"\nThe shares: one to each keeper, on paper; any {NEEDED} open the cases.")
        for line in split(pair):
            print(line)
        return 0
    try:
        pair = combine(sys.stdin.read().splitlines())
        if args.step == "certify":
            public = base64.b64decode(args.public_key, validate=True)
            message_key = (
                base64.b64decode(args.message_key, validate=True) if args.message_key else None
            )
            signature = envelope.certify(pair.private, args.person, public, message_key)
            print(base64.b64encode(signature).decode())
            return 0
        opened = envelope.open_sealed(pair, args.envelope.read_bytes())
    except (EscrowError, envelope.EnvelopeError, ValueError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 1
    print(base64.b64encode(opened).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
