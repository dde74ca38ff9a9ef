"""Errors that become Redis error replies.

Raise ``CommandError`` anywhere below a command handler; the dispatcher turns it
into ``-<CODE> <message>\\r\\n`` in one place (see ``dispatch.py``).  The text
always starts with its code (``"ERR syntax error"``, ``"WRONGTYPE ..."``): the
code is what clients dispatch on and what INFO errorstats counts.
"""


class CommandError(Exception):
    """A command failed; ``str(self)`` is the full error text without '-'."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        # Redis replaces CR/LF inside errors with spaces (addReplyErrorLength).
        if "\r" in text or "\n" in text:
            text = text.replace("\r", " ").replace("\n", " ")
        self.text = text
        super().__init__(text)

    @property
    def code(self) -> str:
        return self.text.split(" ", 1)[0]

    def reply(self) -> bytes:
        return b"-" + self.text.encode("utf-8", "surrogateescape") + b"\r\n"


class ProtocolError(Exception):
    """The client broke RESP; reply ``-ERR Protocol error: <msg>`` then close."""


# Frequently raised errors, with Redis 7.0's exact texts.
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INT = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NO_SUCH_KEY = "ERR no such key"
OUT_OF_RANGE = "ERR index out of range"
NOAUTH = "NOAUTH Authentication required."
WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."


def wrongtype() -> CommandError:
    return CommandError(WRONGTYPE)


def syntax() -> CommandError:
    return CommandError(SYNTAX)
