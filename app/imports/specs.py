"""What each importable kind looks like as a spreadsheet: sheets, columns, fixed values, example.

One spec per kind drives everything else (the template, the parser, the report and the export),
so the four cannot disagree about a column. Labels are lazy gettext strings with English msgids;
the template is written in the user's language (Chinese by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from app.domain.workdays import official_schedule
from app.enums import HolidayKind, StaffType, Tier
from app.roles import ROLE_NAMES

TEXT, INT, BOOL, ENUM, DATE, LIST = "text", "int", "bool", "enum", "date", "list"


@dataclass(frozen=True)
class Column:
    """One spreadsheet column: its key in code, its header, how its cells are read."""

    key: str
    label: Any
    type: str = TEXT
    required: bool = False
    max_length: int | None = None
    choices: Callable[[], list[tuple[str, Any]]] | None = None  # (code, label) for ENUM / LIST
    default: Any = None  # used when the cell is blank
    minimum: int | None = None  # INT
    width: int = 16
    note: Any = None  # a hint in the instructions sheet


@dataclass(frozen=True)
class Sheet:
    key: str
    title: Any
    columns: tuple[Column, ...]
    example: tuple[dict, ...] = ()
    required_sheet: bool = True

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


@dataclass(frozen=True)
class Kind:
    key: str
    title: Any
    table: str  # the audit trail's table name
    sheets: tuple[Sheet, ...]
    managers_may_import: bool = False
    notes: tuple[Any, ...] = field(default_factory=tuple)

    @property
    def main(self) -> Sheet:
        return self.sheets[0]


def _enum(enum_cls) -> Callable[[], list[tuple[str, Any]]]:
    return lambda: [(m.value, m.label) for m in enum_cls]


def _roles() -> list[tuple[str, Any]]:
    return [(name, name) for name in ROLE_NAMES]


ACTIVE = Column("active", _l("Active"), BOOL, default=True, width=8)

UNITS = Kind(
    "units",
    _l("Service units"),
    "org_unit",
    (
        Sheet(
            "units",
            _l("Units"),
            (
                Column("code", _l("Unit code"), required=True, max_length=20, width=16),
                Column("name", _l("Unit name"), required=True, max_length=100, width=30),
                Column("tier", _l("Tier"), ENUM, required=True, choices=_enum(Tier), width=14),
                Column(
                    "parent_code",
                    _l("Parent unit code"),
                    max_length=20,
                    note=_l("Empty for the city center; the town's code for a village station."),
                ),
                Column("address", _l("Address"), max_length=255, width=36),
                Column("phone", _l("Phone"), max_length=40),
                ACTIVE,
            ),
            example=(
                {
                    "code": "440781100",
                    "name": _l("Dajiang Town Convenience Service Center"),
                    "tier": Tier.TOWN.value,
                    "parent_code": "440781",
                    "address": _l("18 Gongyi Road, Dajiang Town"),
                    "phone": "0750-5681102",
                    "active": True,
                },
            ),
        ),
    ),
    notes=(
        _l(
            "A parent must be one tier above its unit: towns under the city, villages under a town."
        ),
    ),
)

DEPARTMENTS = Kind(
    "departments",
    _l("Departments"),
    "department",
    (
        Sheet(
            "departments",
            _l("Departments"),
            (
                Column("code", _l("Department code"), required=True, max_length=20),
                Column("name", _l("Department name"), required=True, max_length=100, width=36),
                Column("phone", _l("Phone"), max_length=40),
                ACTIVE,
            ),
            example=(
                {
                    "code": "SJJ",
                    "name": _l("Market Supervision Administration"),
                    "phone": "0750-5565801",
                    "active": True,
                },
            ),
        ),
    ),
)

STAFF = Kind(
    "staff",
    _l("Staff and accounts"),
    "specialist",
    (
        Sheet(
            "staff",
            _l("Staff"),
            (
                Column("username", _l("User name"), required=True, max_length=64),
                Column("name", _l("Full name"), required=True, max_length=50),
                Column("unit_code", _l("Unit code"), required=True, max_length=20),
                Column(
                    "roles",
                    _l("Roles"),
                    LIST,
                    required=True,
                    choices=_roles,
                    note=_l("Several roles are separated by commas."),
                ),
                Column(
                    "staff_type",
                    _l("Staff type"),
                    ENUM,
                    choices=_enum(StaffType),
                    width=26,
                    note=_l("Empty: station staff at a village, window staff elsewhere."),
                ),
                Column("department_code", _l("Department code"), max_length=20),
                Column("mobile", _l("Mobile"), max_length=20, width=14),
                Column("email", _l("Email"), max_length=120, width=24),
                ACTIVE,
                Column(
                    "password",
                    _l("Initial password"),
                    max_length=128,
                    note=_l(
                        "Only for new accounts, or to reset one. Empty: a random password is "
                        "generated and listed in the result report."
                    ),
                ),
            ),
            example=(
                {
                    "username": "town01_specialist",
                    "name": _l("Huang Lijuan"),
                    "unit_code": "440781100",
                    "roles": ["Specialist"],
                    "staff_type": StaffType.COMPREHENSIVE_WINDOW.value,
                    "department_code": "",
                    "mobile": "13800138000",
                    "email": "",
                    "active": True,
                    "password": "",
                },
            ),
        ),
    ),
    managers_may_import=True,
)

# The template's own example (not the demo catalogue): an item and two of its materials.
_ITEM_CODE = "SJ-001"
_ITEM_EXAMPLE = {
    "code": _ITEM_CODE,
    "basic_code": "000001001000",
    "implementation_code": "11440781MB2C91234X" + "4" + "000001001000",
    "name": _l("Registration of an individual business"),
    "department_code": "SJJ",
    "accept_city": True,
    "accept_town": True,
    "accept_village": False,
    "promised_days": 1,
    "legal_days": 15,
    "fee_note": _l("Free of charge"),
    "needs_parallel": False,
    "parallel_department_codes": [],
    "online": True,
    "mobile": True,
    "self_service": False,
    "keywords": _l("individual business, open a shop, business licence"),
    "window_number": "A01",
    "hall_location": _l("Floor 1, Area A"),
    "active": True,
}
_MATERIAL_EXAMPLES = (
    {
        "item_code": _ITEM_CODE,
        "position": 0,
        "name": _l("Application form for registering an individual business"),
        "copies": 1,
        "original": True,
        "how_to_obtain": _l("Free at the window, or filled in online and printed"),
    },
    {
        "item_code": _ITEM_CODE,
        "position": 1,
        "name": _l("The operator's resident ID card"),
        "copies": 1,
        "original": True,
        "how_to_obtain": _l("The original, checked at the window and handed back"),
    },
)
ITEMS = Kind(
    "items",
    _l("Service items and materials"),
    "service_item",
    (
        Sheet(
            "items",
            _l("Service items"),
            (
                Column("code", _l("Item code"), required=True, max_length=40),
                Column(
                    "basic_code",
                    _l("Official item code"),
                    max_length=12,
                    note=_l("12 digits (GB/T 39554.1-2020). Empty keeps the stored code."),
                ),
                Column(
                    "implementation_code",
                    _l("Implementation code"),
                    max_length=31,
                    width=34,
                    note=_l(
                        "31 characters: the implementing body's credit code, the level and the "
                        "item code. An item already in the catalogue with this code is the one "
                        "updated, whatever its own code. Empty keeps the stored code."
                    ),
                ),
                Column("name", _l("Item name"), required=True, max_length=200, width=30),
                Column("department_code", _l("Department code"), required=True, max_length=20),
                Column("accept_city", _l("Accepted at the city center"), BOOL, default=True),
                Column("accept_town", _l("Accepted at town centers"), BOOL, default=False),
                Column("accept_village", _l("Accepted at village stations"), BOOL, default=False),
                Column(
                    "promised_days",
                    _l("Promised time limit (working days)"),
                    INT,
                    required=True,
                    minimum=0,
                ),
                Column(
                    "legal_days",
                    _l("Legal time limit (working days)"),
                    INT,
                    required=True,
                    minimum=0,
                ),
                Column("fee_note", _l("Fees"), max_length=255, default="", width=20),
                Column("needs_parallel", _l("Needs parallel approval"), BOOL, default=False),
                Column(
                    "parallel_department_codes",
                    _l("Departments in parallel approval"),
                    LIST,
                    note=_l("Department codes separated by commas."),
                ),
                Column("online", _l("Online handling"), BOOL, default=False),
                Column("mobile", _l("Mobile handling"), BOOL, default=False),
                Column("self_service", _l("Self-service terminal"), BOOL, default=False),
                Column("keywords", _l("Keywords"), max_length=255, default="", width=24),
                Column("window_number", _l("Window number"), max_length=50, width=10),
                Column(
                    "hall_location",
                    _l("Location in the hall"),
                    max_length=200,
                    width=24,
                    note=_l("Where in the hall the window is, e.g. Floor 1, Area A."),
                ),
                ACTIVE,
            ),
            example=(_ITEM_EXAMPLE,),
        ),
        Sheet(
            "materials",
            _l("Required materials"),
            (
                Column("item_code", _l("Item code"), required=True, max_length=40),
                Column("position", _l("Order"), INT, minimum=0, width=8),
                Column("name", _l("Material name"), required=True, max_length=200, width=30),
                Column("copies", _l("Copies"), INT, default=1, minimum=1, width=8),
                Column("original", _l("Original required"), BOOL, default=False),
                Column("how_to_obtain", _l("How to obtain"), max_length=500, default="", width=50),
            ),
            example=_MATERIAL_EXAMPLES,
            required_sheet=False,
        ),
    ),
    notes=(
        _l(
            "An item listed with materials gets exactly those materials; an item without "
            "material rows keeps the materials it has."
        ),
    ),
)

# The first day of a year's official schedule, e.g. New Year's Day (data from chinesecalendar).
_HOLIDAY_EXAMPLE = next(
    ({"day": d, "kind": k, "name": n} for d, k, n in official_schedule([2026])),
    {"day": dt.date(2026, 1, 1), "kind": HolidayKind.OFF.value, "name": ""},
)

HOLIDAYS = Kind(
    "holidays",
    _l("Holiday calendar"),
    "holiday",
    (
        Sheet(
            "holidays",
            _l("Holidays"),
            (
                Column("day", _l("Date"), DATE, required=True, width=12),
                Column("kind", _l("Kind"), ENUM, required=True, choices=_enum(HolidayKind)),
                Column("name", _l("Holiday name"), max_length=50, default=""),
            ),
            example=(_HOLIDAY_EXAMPLE,),
        ),
    ),
    notes=(
        _l(
            "Import a whole year's announced schedule at once: a year in the file counts as "
            "loaded, and due dates in it stop being provisional."
        ),
    ),
)

KINDS: dict[str, Kind] = {k.key: k for k in (UNITS, DEPARTMENTS, STAFF, ITEMS, HOLIDAYS)}
