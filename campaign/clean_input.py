"""The request class: NUL characters in posted form fields become U+FFFD.

PostgreSQL text columns refuse NUL (0x00) outright, so one pasted control character would
turn a draft save into a server error there (SQLite stores it). U+FFFD keeps a visible mark
where the character was, so the value is still refused with the usual message and the
officer sees what to fix — nothing typed is silently dropped or merged ("12\\x0034" must not
become 1234). Query strings need no cleaning: no route puts a raw query value into SQL.
"""
from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict

REPLACEMENT = "\ufffd"


def _clean(data: ImmutableMultiDict) -> ImmutableMultiDict:
    if not any("\x00" in k or "\x00" in v for k, v in data.items(multi=True)):
        return data
    return ImmutableMultiDict([(k.replace("\x00", REPLACEMENT), v.replace("\x00", REPLACEMENT))
                               for k, v in data.items(multi=True)])


class CleanRequest(Request):
    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _clean(self.__dict__["form"])
