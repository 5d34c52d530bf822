"""The embedded install's own SECRET_KEY: made at random on first start and kept in POS_DATA_DIR.

Full mode takes its key from DJANGO_SECRET_KEY and refuses to start without one; an embedded
install (a laptop, a single shop's back-office PC) must not share a key printed in the source, or
a token signed with that key would be accepted by every install that can be reached.
"""

import os
import secrets
from pathlib import Path

FILE_NAME = "secret_key"


def embedded_secret_key(data_dir: Path) -> str:
    path = data_dir / FILE_NAME
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    # Readable by its owner only; written aside and linked into place, which fails if the file
    # exists: of two processes starting at once, the first one's key wins and both read it.
    temp = path.with_name(f"{FILE_NAME}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()
    return path.read_text().strip()
