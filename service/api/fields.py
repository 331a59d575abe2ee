"""Number, truth and name fields of JSON bodies.

marshmallow's own fields coerce: ``Integer`` cuts 4.9 to 4 (a score of 4.9 would be
stored as 4, a threshold of 2.9 as 2) and takes "4"; ``Boolean`` takes "yes" and 1.
A JSON body says what it means, so these take only its own types; query strings,
which are all text, keep marshmallow's fields.

Names are stored without the spaces around them, so ``Name`` validates them trimmed: a
name of only spaces is refused, not stored empty.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate


class StrictInteger(ma.fields.Integer):
    """A JSON integer: 4, never 4.5, "4" or true."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)


class StrictFloat(ma.fields.Float):
    """A JSON number, not a string of one."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(ma.fields.Boolean):
    """true or false, not "yes", "true" or 1."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class Name(ma.fields.String):
    """A name of 1 to 200 characters once the spaces around it are dropped; loaded
    trimmed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Length(min=1, max=200), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()
