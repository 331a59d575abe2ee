"""Column types shared by the tables.

``StrEnumColumn`` stores a ``StrEnum`` as plain ``VARCHAR`` (the migrations and
their CHECK constraints stay as they are) and hands the enum back on load, so
domain rules written as ``member.status is MemberStatus.ACTIVE`` hold for loaded
objects too, not only for new ones.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlalchemy import Dialect, String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class StrEnumColumn(TypeDecorator[E], Generic[E]):
    impl = String
    cache_ok = True

    def __init__(self, enum: type[E], length: int) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)
