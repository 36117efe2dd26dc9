"""How a job names its outputs: the naming policies, decided in the core before an output is
opened, and the form in which the core takes them.

The policies: the input's relative path (AS_GIVEN, the default), `<SOPInstanceUID>.<Modality>.dcm`
from de-identified values (BY_UID), `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm`
(UID_TREE), an ingest layout (:class:`Hierarchy`), and a profile's `filenames:` templates, which
win over the others.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

from ..errors import ProfileError
from ..profile.load import Profile
from .subjects import SubjectMap

AS_GIVEN = "as-given"  # the input's relative path (`a.dcm.gz` -> `a.dcm`)
BY_UID = "by-uid"  # `<SOPInstanceUID>.<Modality>.dcm` from de-identified values, in the input's folder
# `<StudyInstanceUID>/<SeriesInstanceUID>/<SOPInstanceUID>.dcm` from de-identified values: nothing of
# the input's name or folders (the default of `run` under the Basic Profile).
UID_TREE = "uid-tree"


@dataclass(frozen=True)
class Hierarchy:
    """An ingest layout, `group/project/subject/session/acquisition/<file>`, with labels made from
    de-identified values (subject = PatientID, or a code from `subjects` keyed by original values).
    With a subject map the job runs on one worker, so that new codes are numbered in input order;
    the map holds the new codes afterwards."""

    group: str
    project: str
    subjects: SubjectMap | None = None


def core_naming(prof: Profile, naming: str | Hierarchy | None) -> tuple[str, dict[str, Any]]:
    """The core's naming policy and its options. The core reads the values a policy needs, and
    holds the profile's `filenames:` templates, compiled with it."""
    if isinstance(naming, Hierarchy):
        kwargs: dict[str, Any] = {"group": naming.group, "project": naming.project}
        if naming.subjects is not None:
            kwargs["subjects"] = _core_subjects(naming.subjects)
        return "hierarchy", kwargs
    if prof.filenames:  # a profile's templates name the outputs whatever else is asked (as the reference)
        return "templates", {}
    if naming in (None, AS_GIVEN, BY_UID, UID_TREE):
        return naming or AS_GIVEN, {}
    raise ValueError(f"unknown naming policy {naming!r}: None, {BY_UID!r}, {UID_TREE!r} or a Hierarchy")


def _core_subjects(m: SubjectMap) -> tuple[list[str], str, int, str, list[tuple[list[str], str]]]:
    """A subject map as the core takes it: keys, the code format as prefix + zero-padded width +
    suffix, and the known codes."""
    parsed = list(string.Formatter().parse(m.code_format))
    fields = [(lit, f, spec) for lit, f, spec, _ in parsed if f is not None]
    if len(fields) != 1 or fields[0][1] != "SubjectCode" or not _simple_int_spec(fields[0][2] or ""):
        raise ProfileError(f"subject code format {m.code_format!r}: one {{SubjectCode}} with a width such as :04d")
    head = "".join(lit for lit, f, _, _ in parsed[: [p[1] for p in parsed].index("SubjectCode") + 1])
    tail = "".join(lit for lit, _, _, _ in parsed[[p[1] for p in parsed].index("SubjectCode") + 1 :])
    spec = (fields[0][2] or "").removesuffix("d")
    width = int(spec) if spec else 0
    return list(m.keys), head, width, tail, [(list(k), code) for k, code in m.codes.items()]


def _simple_int_spec(spec: str) -> bool:
    """`d`, `0Nd` or nothing: the integer formats a subject code can be made with here."""
    return re.fullmatch(r"(0\d+)?d?", spec) is not None
