"""Reading a people CSV: the header, and each row's values checked on their own.

What a value means in the organisation (which role, team or manager it names) is
the import's business (``member_import``); here only its syntax is checked. Line
numbers are the file's, the header being line 1, so an admin can find the row.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from service.domain.access import AccessRole
from service.domain.errors import Invalid
from service.domain.member import normalise_email
from service.domain.text import UNSTORABLE, storable

COLUMNS = ("email", "name", "title", "access_role", "product_role", "manager_email", "team")
REQUIRED_COLUMNS = ("email", "name")
EMAIL_PATTERN = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\"]+$")
#: People per import: a 10 MiB file of short rows holds half a million, more than a
#: request can import within the server's 30 s; larger organisations import in parts.
MAX_ROWS = 50_000
MAX_LENGTHS = {"email": 320, "name": 200, "title": 200, "product_role": 200, "team": 200}
ACCESS_ROLES = {role.value: role.value for role in AccessRole}


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "message": self.message}


class ImportRejected(Invalid):
    """The file is refused as a whole: ``errors["rows"]`` lists every problem found."""

    def __init__(self, problems: list[RowError]) -> None:
        ordered = sorted(
            problems, key=lambda p: (p.line, COLUMNS.index(p.column) if p.column in COLUMNS else -1)
        )
        lines = len({p.line for p in ordered})
        super().__init__(
            f"{lines} line{'s' if lines != 1 else ''} of the file "
            f"{'are' if lines != 1 else 'is'} not valid; nothing was imported.",
            {"rows": [p.as_dict() for p in ordered]},
        )
        self.problems = ordered


@dataclass(slots=True)
class Row:
    """One person's line, its values stripped; empty cells read as None."""

    line: int
    values: dict[str, str | None]

    def get(self, column: str) -> str | None:
        return self.values.get(column)


@dataclass(frozen=True, slots=True)
class PeopleFile:
    """The rows that read well, and the problems of those that did not (checking goes
    on past them, so that one answer lists every bad row)."""

    columns: tuple[str, ...]
    rows: list[Row]
    problems: list[RowError]
    #: Emails of the rows that did not read well: not "unknown" as someone's manager.
    unreadable_emails: set[str]

    def has(self, column: str) -> bool:
        return column in self.columns


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content.count(b"\n", 0, error.start) + 1
        raise ImportRejected(
            [RowError(line, None, "The file is not valid UTF-8; save it as CSV UTF-8.")]
        ) from error


def read(content: bytes) -> PeopleFile:
    """The header and every row; ImportRejected at once only when the file as a whole
    cannot be read (not UTF-8, malformed CSV, a wrong header, no rows)."""
    reader = csv.reader(io.StringIO(decode(content), newline=""), strict=True)
    problems: list[RowError] = []
    unreadable: set[str] = set()
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportRejected(
                [RowError(1, None, f"The first line must name the columns: {', '.join(COLUMNS)}.")]
            )
        columns = _read_header(header)
        rows: list[Row] = []
        people = 0
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue  # blank lines are allowed anywhere
            people += 1
            if people > MAX_ROWS:
                problems.append(
                    RowError(
                        start, None, f"At most {MAX_ROWS:,} people per import; split the file."
                    )
                )
                raise ImportRejected(problems)
            known_problems = len(problems)
            row = _read_row(start, columns, cells, problems)
            if len(problems) > known_problems:
                unreadable.add(normalise_email(row.get("email") or ""))
            else:
                rows.append(row)
    except csv.Error as error:
        problems.append(RowError(reader.line_num, None, f"The CSV is malformed: {error}."))
        raise ImportRejected(problems) from error
    if not rows and not problems:
        raise ImportRejected([RowError(2, None, "The file has no people in it.")])
    return PeopleFile(columns, rows, problems, unreadable)


def _read_header(header: list[str]) -> tuple[str, ...]:
    columns = tuple(cell.strip().lower() for cell in header)
    problems = [
        RowError(1, name or None, f"Unknown column; the columns are {', '.join(COLUMNS)}.")
        for name in columns
        if name not in COLUMNS
    ]
    problems += [
        RowError(1, name, "This column appears more than once.")
        for name in sorted(set(columns))
        if columns.count(name) > 1 and name in COLUMNS
    ]
    problems += [
        RowError(1, name, "This column is required.")
        for name in REQUIRED_COLUMNS
        if name not in columns
    ]
    if problems:
        raise ImportRejected(problems)
    return columns


def _read_row(
    line: int, columns: tuple[str, ...], cells: list[str], problems: list[RowError]
) -> Row:
    """The row's values; its problems, if any, appended to ``problems``."""
    values: dict[str, str | None] = {}
    for name, cell in zip(columns, cells, strict=False):
        values[name] = cell.strip() or None
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        problems.append(
            RowError(line, None, f"This line has {len(cells)} values; the header has "
                     f"{len(columns)}.")
        )  # fmt: skip
    elif len(cells) < len(columns):
        problems.append(
            RowError(line, columns[len(cells)], f"Missing value: the header has {len(columns)} "
                     f"columns, this line {len(cells)}.")
        )  # fmt: skip
    else:
        _check_values(line, values, problems)
    return Row(line, values)


def _check_values(line: int, values: dict[str, str | None], problems: list[RowError]) -> None:
    for name, value in values.items():
        if value is not None and not storable(value):
            problems.append(RowError(line, name, UNSTORABLE))
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            problems.append(RowError(line, name, f"At most {limit} characters."))
    email = values.get("email")
    if email is None:
        problems.append(RowError(line, "email", "An email is required."))
    else:
        email = values["email"] = normalise_email(email)
        if not EMAIL_PATTERN.match(email):
            problems.append(RowError(line, "email", "Not a valid email address."))
    if values.get("name") is None:
        problems.append(RowError(line, "name", "A name is required."))
    manager = values.get("manager_email")
    if manager is not None:
        manager = values["manager_email"] = normalise_email(manager)
        if not EMAIL_PATTERN.match(manager):
            problems.append(RowError(line, "manager_email", "Not a valid email address."))
        elif manager == email:
            problems.append(RowError(line, "manager_email", "A member cannot manage themselves."))
    role = values.get("access_role")
    if role is not None:
        normalised = role.lower().replace(" ", "_").replace("-", "_")
        if normalised not in ACCESS_ROLES:
            problems.append(RowError(line, "access_role", f"Use one of {', '.join(ACCESS_ROLES)}."))
        else:
            values["access_role"] = normalised
