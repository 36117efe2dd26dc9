"""Date options of a profile (spec 6.6, 6.7): formats, offsets and bounds, validated and turned
into the core's shift parameters."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .errors import ProfileError

DEFAULT_DATE_FORMAT = "%Y%m%d"
DEFAULT_DATETIME_FORMAT = "%Y%m%d%H%M%S.%f"
# Every directive Python's strptime knows; the reference accepts exactly these.
STRPTIME_CODES = set("aAbBcdfGHIjmMpSUuVwWxXyYzZ%")
# The directives the core implements (numeric dates and times).
SUPPORTED_CODES = set("YmdHMSfyj%")
RELATIVE_BOUND = re.compile(r"^([+-]?\d+)(years|weeks|days)$")
BOUND_FORMAT = "%Y%m%d%H%M%S.%f"


def check_format(fmt: Any, key: str, where: str) -> str:
    if not isinstance(fmt, str) or not fmt:
        raise ProfileError(f"{where}: {key} must be a strptime format such as '%Y%m%d'")
    for code in re.findall(r"%(.)", fmt.replace("%%", "")):
        if code not in STRPTIME_CODES:
            raise ProfileError(f"{where}: %{code} is not a supported datetime format code")
        if code not in SUPPORTED_CODES:
            raise ProfileError(
                f"{where}: %{code} in {key} is not supported by this version of fastdeid yet (use %Y %m %d %H %M %S %f %y %j)"
            )
    return fmt


def _days(value: Any, key: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProfileError(f"{where}: {key} must be a number of days")
    return float(value)


def _bound(value: Any, key: str, where: str, now: datetime) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{8}", value):
        try:
            when = datetime.strptime(value, "%Y%m%d")
        except ValueError:
            raise ProfileError(f"{where}: {key} {value!r} is not a valid date") from None
    elif isinstance(value, str) and (m := RELATIVE_BOUND.match(value)):
        amount, unit = int(m.group(1)), m.group(2)
        days = amount * {"years": 365.25, "weeks": 7, "days": 1}[unit]
        when = now + timedelta(days=days)
    else:
        # An unquoted 20200301 is a YAML number: say how to write it, as the reference does.
        raise ProfileError(
            f"{where}: {key} must be in either yyyymmdd or [+-]<amount><unit> format (quote it: '20200301')"
        )
    return when.strftime(BOUND_FORMAT)


JITTER_UNITS_MICROS = {
    "weeks": 7 * 86_400_000_000,
    "days": 86_400_000_000,
    "hours": 3_600_000_000,
    "minutes": 60_000_000,
    "seconds": 1_000_000,
    "milliseconds": 1_000,
    "microseconds": 1,
}


def _range(value: Any, key: str, where: str, integer: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProfileError(f"{where}: {key} must be a number")
    if value <= 0 or (integer and value < 1):
        # The reference rejects a zero range on fields but not at profile level (E17).
        raise ProfileError(
            f"{where}: {key} must be positive" + (" and at least 1 for jitter-type int" if integer else "")
        )
    return float(value)


def jitter_spec(field: dict[str, Any], dicom: dict[str, Any], where: str) -> dict[str, Any]:
    """The core's parameters of one numeric jitter rule (spec 6.8)."""
    jtype = field.get("jitter-type", dicom.get("jitter-type", "float"))  # profile level honoured (E16)
    if jtype not in ("int", "float"):
        raise ProfileError(f"{where}: jitter-type must be int or float")
    rng = _range(field.get("jitter-range", dicom.get("jitter-range", 2)), "jitter-range", where, jtype == "int")
    bounds = {}
    for key in ("jitter-min", "jitter-max"):
        value = field.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ProfileError(f"{where}: {key} must be a number")
        bounds[key] = None if value is None else float(value)
    return {"range": rng, "int": jtype == "int", "min": bounds["jitter-min"], "max": bounds["jitter-max"]}


def _date_jitter(field: dict[str, Any], where: str) -> dict[str, Any] | None:
    if not field.get("jitter-date", False):
        return None
    if field["jitter-date"] is not True:
        raise ProfileError(f"{where}: jitter-date must be true")
    unit = field.get("jitter-unit", "days")
    if unit not in JITTER_UNITS_MICROS:
        raise ProfileError(f"{where}: jitter-unit must be one of {', '.join(JITTER_UNITS_MICROS)}")
    rng = _range(field.get("jitter-range", 10), "jitter-range", where, True)
    return {"range": int(rng), "unit_micros": JITTER_UNITS_MICROS[unit]}


def shift_spec(action: str, field: dict[str, Any], dicom: dict[str, Any], where: str, now: datetime) -> dict[str, Any]:
    """The core's `shift` parameters of one increment-date or increment-datetime rule."""
    if action == "increment-date":
        fmt = check_format(
            field.get("date-format", dicom.get("date-format", DEFAULT_DATE_FORMAT)), "date-format", where
        )
    else:
        fmt = check_format(
            field.get("datetime-format", dicom.get("datetime-format", DEFAULT_DATETIME_FORMAT)),
            "datetime-format",
            where,
        )
    if "date-increment-override" in field:
        days = _days(field["date-increment-override"], "date-increment-override", where)
    elif "date-increment" in dicom:
        days = _days(dicom["date-increment"], "date-increment", where)
    else:
        # The reference crashes at run time here (spec 1.3); say it at load instead.
        raise ProfileError(
            f"{where}: {action} needs `date-increment` in the dicom section or `date-increment-override` on the field"
        )
    return {
        "format": fmt,
        "days": days,
        "min": _bound(field.get("datetime-min"), "datetime-min", where, now),
        "max": _bound(field.get("datetime-max"), "datetime-max", where, now),
        "jitter": _date_jitter(field, where),
    }
