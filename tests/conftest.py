"""Shared test helpers: small, real files written into tmp dirs."""

from __future__ import annotations

import os
import random

import pytest

from detectors.cn_bank_card import is_luhn
from detectors.cn_resident_id import check_char


def make_id(rng: random.Random, region: str = "110105") -> str:
    first17 = f"{region}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + check_char(first17)


def make_phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def make_card(rng: random.Random) -> str:
    body = "622202" + f"{rng.randint(0, 10**12 - 1):012d}"
    return next(body + str(d) for d in range(10) if is_luhn(body + str(d)))


@pytest.fixture(autouse=True, scope="session")
def _no_inherited_terminal_width():
    """Reports wrap at ``COLUMNS`` when it is set; a test that needs a width sets its own.
    pytest-xdist's workers start with ``COLUMNS=80`` and a user's shell may export it: neither decides."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


@pytest.fixture
def rng() -> random.Random:
    return random.Random(20261127)


@pytest.fixture
def people(rng):
    """Forty synthetic persons with valid identifiers."""
    return [{"id": make_id(rng), "phone": make_phone(rng), "card": make_card(rng)} for _ in range(40)]


@pytest.fixture
def people_csv(tmp_path, people, rng):
    """A GB18030 CSV of the forty persons, with decoy columns that must not be reported."""
    lines = ["姓名,证件号码,联系电话,银行卡号,订单号,批次号,create_time_ms"]
    for i, p in enumerate(people):
        order = f"{rng.randint(10**17, 10**18 - 1)}"
        if order[-1] == make_id(random.Random(i))[-1]:
            order = order[:-1] + "0"
        batch = f"1{rng.randint(0, 9)}{rng.randint(0, 10**9 - 1):09d}"
        ms = str(1_700_000_000_000 + rng.randint(0, 10**10))
        lines.append(f"用户{i},{p['id']},{p['phone']},{p['card']},{order},{batch},{ms}")
    path = tmp_path / "people.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gb18030"))
    return path
