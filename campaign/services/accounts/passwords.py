"""Password rules (length, not composition) and a login check that costs the same for every name.

Rules follow current guidance (NIST SP 800-63B): at least ``MIN_LENGTH`` characters, no
composition rules, and refuse passwords that are common or easy to guess — the 30,000 most
common passwords shipped with the ``zxcvbn`` package, and anything zxcvbn estimates under a
million guesses (keyboard walks, repeats, dates, the user's own name, words of this platform).
"""
from __future__ import annotations

from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 8
MAX_LENGTH = 256
MIN_GUESSES = 1_000_000
# Words anyone would try first against this platform.
LOCAL_WORDS = ("thidua", "thi dua", "matkhau", "mat khau", "anhyeuem", "vietnam", "hanoi", "admin", "quantri")
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


def problem(password: str, *, username: str = "", full_name: str = "") -> str | None:
    """Why this password is refused (translated), or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Mật khẩu cần ít nhất %(n)s ký tự.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Mật khẩu dài quá %(n)s ký tự.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in _COMMON:
        return _("Mật khẩu này nằm trong danh sách mật khẩu phổ biến, rất dễ bị đoán. Hãy chọn mật khẩu khác.")
    if username and username.lower() in lowered:
        return _("Mật khẩu không được chứa tên đăng nhập.")
    hints = [username, *full_name.split(), *LOCAL_WORDS]
    # zxcvbn's matching grows quadratically with length; the first 64 characters decide.
    if zxcvbn(password[:64], user_inputs=[h for h in hints if h])["guesses"] < MIN_GUESSES:
        return _("Mật khẩu quá dễ đoán (dãy phím, lặp lại, ngày tháng hoặc tên). Hãy dùng một câu ngắn dễ nhớ.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("thidua-no-such-user", method=method)


def verify(password_hash: str | None, password: str) -> bool:
    """Check a password; with no hash (unknown user) check a dummy hash of the configured method,
    so an unknown name takes as long as a wrong password (no user enumeration by timing)."""
    if not password_hash:
        check_password_hash(_dummy_hash(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")), password)
        return False
    return check_password_hash(password_hash, password)
