"""The generated PS3.15 Basic Profile tables (rust/core/src/basic/table.rs and iod_table.rs) are
exactly what tools/gen_basic_table.py makes from data/ps3.15/, so the committed tables and the
CSVs agree."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "tools" / "gen_basic_table.py"
BASIC = ROOT / "rust" / "core" / "src" / "basic"
TABLE = BASIC / "table.rs"
GENERATED = ("table.rs", "cid7050.rs", "iod_table.rs")
CSV = ROOT / "data" / "ps3.15" / "ps3.15-table-e1-1.csv"


def generate(out: Path) -> dict[str, bytes]:
    out.mkdir()
    subprocess.run([sys.executable, str(GENERATOR), "--out-dir", str(out)], check=True, capture_output=True)
    return {name: (out / name).read_bytes() for name in GENERATED}


def test_committed_tables_are_the_generators_output(tmp_path: Path) -> None:
    first = generate(tmp_path / "a")
    for name in GENERATED:
        assert first[name] == (BASIC / name).read_bytes(), f"{name}: rerun python tools/gen_basic_table.py"
    assert generate(tmp_path / "b") == first, "two runs give the same bytes"


def test_every_csv_row_is_one_table_row() -> None:
    with CSV.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 657
    lines = [line for line in TABLE.read_text().splitlines() if line.lstrip().startswith("Row {")]
    assert len(lines) == len(rows)
    name_line = next(line for line in lines if '"PatientName"' in line)
    assert "TagPattern::Exact(0x00100010)" in name_line and "basic: Z," in name_line
