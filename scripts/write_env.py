"""Write .env from .env.example, filling the empty secrets with fresh random ones.

An existing .env is left alone, so its keys (and the tokens they encrypt) survive.
"""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet

GENERATED = {
    "DJANGO_SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "TOKEN_ENCRYPTION_KEY": lambda: Fernet.generate_key().decode(),
}


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    target = root / ".env"
    if target.exists():
        print(f"{target} exists; leaving it unchanged.")
        return 0
    lines = []
    for line in (root / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if name in GENERATED and not value:
            line = f"{name}={GENERATED[name]()}"
        lines.append(line)
    target.write_text("\n".join(lines) + "\n")
    print(f"Wrote {target} with fresh secrets.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
