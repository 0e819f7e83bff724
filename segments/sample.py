"""A synthetic customer base for Northwind Outfitters, with planted segments.

Northwind Outfitters is a fictional outdoor gear and apparel retailer with an
online shop, an app and physical stores. :func:`make_customers` draws customers
from five planted segments (the ground truth is returned alongside), with
demographic, psychographic, behavioural, channel-preference and outcome columns,
plus personal-data columns (name, e-mail, phone, IBAN, address) that exist to
prove they never become features. :func:`make_transactions` draws a purchase log
consistent with each customer's orders, spend and recency.

Everything is fictional: names from short lists, ``example.com``-style e-mail
domains, phone numbers in the UK's drama range (07700 900xxx), IBANs with a
made-up bank code. ``python -m segments.sample DIR`` writes the demo files.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "AS_OF",
    "COMPANY",
    "SEGMENTS",
    "make_customers",
    "make_snapshot",
    "make_transactions",
    "write_sample_data",
]

COMPANY = "Northwind Outfitters"
AS_OF = pd.Timestamp("2026-10-31")
"""The day the extract was taken: recency and transaction dates count back from it."""


@dataclass(frozen=True)
class _Segment:
    name: str
    share: float
    age: tuple[float, float, float, float]  # mean, sd, low, high
    household: tuple[int, ...]  # sizes to draw from
    income: tuple[float, ...]  # weights over INCOME_BANDS
    price_sensitivity: float  # mean on 1–5
    eco: float  # P(eco_conscious)
    tech: float  # mean on 1–5
    orders: float  # mean orders in 12 months (Poisson); 0 → lapsed
    basket: float  # median basket in EUR
    recency: float  # mean days since last order (exponential)
    app: float  # mean app sessions per month
    returns: float  # mean returns rate
    channel: tuple[float, ...]  # weights over CHANNELS
    joined: tuple[int, int]  # member since, year range
    respond: float
    churn: float


INCOME_BANDS = ("<30k", "30-50k", "50-80k", "80-120k", "120k+")
CHANNELS = ("email", "app", "sms", "phone", "store")
SEGMENTS: tuple[_Segment, ...] = (
    _Segment(
        "Budget families", 0.24, (39, 4, 28, 52), (3, 4, 4, 5), (0.2, 0.6, 0.2, 0, 0),
        4.2, 0.3, 3.0, 6, 60, 25, 3, 0.06, (0.75, 0.1, 0.1, 0, 0.05), (2015, 2023),
        0.25, 0.05,
    ),
    _Segment(
        "Premium adventurers", 0.16, (47, 6, 32, 65), (1, 2, 2, 3), (0, 0.05, 0.25, 0.45, 0.25),
        1.5, 0.75, 3.6, 9, 260, 20, 4, 0.04, (0.55, 0.15, 0, 0.05, 0.25), (2012, 2022),
        0.35, 0.04,
    ),
    _Segment(
        "Lapsed bargain hunters", 0.20, (44, 10, 22, 75), (1, 2, 2, 3, 4), (0.5, 0.4, 0.1, 0, 0),
        4.8, 0.15, 2.5, 0, 35, 0, 0.4, 0.10, (0.55, 0.05, 0.4, 0, 0), (2014, 2021),
        0.05, 0.6,
    ),
    _Segment(
        "Young app-first urbanites", 0.22, (26, 3, 18, 34), (1, 1, 2), (0.3, 0.45, 0.25, 0, 0),
        3.0, 0.55, 4.8, 14, 45, 8, 22, 0.18, (0.1, 0.85, 0.05, 0, 0), (2021, 2026),
        0.2, 0.1,
    ),
    _Segment(
        "Loyal store regulars", 0.18, (63, 6, 50, 85), (1, 2, 2), (0.1, 0.3, 0.5, 0.1, 0),
        2.5, 0.3, 1.6, 8, 95, 25, 0.3, 0.02, (0.1, 0, 0, 0.2, 0.7), (2005, 2015),
        0.3, 0.03,
    ),
)  # fmt: skip

_FIRST = (
    "Ada",
    "Ben",
    "Clara",
    "Dev",
    "Elif",
    "Finn",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Mara",
    "Nils",
    "Oona",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tess",
    "Umar",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zoe",
)
_LAST = (
    "Abbot",
    "Birch",
    "Calder",
    "Dunmore",
    "Ellery",
    "Fenwick",
    "Garrow",
    "Hale",
    "Ingram",
    "Jessop",
    "Kestrel",
    "Lowther",
    "Marsh",
    "Norrey",
    "Oakes",
    "Pennant",
    "Quarry",
    "Rook",
    "Sallow",
    "Thorne",
    "Upton",
    "Vane",
    "Wren",
    "Yarrow",
)
_STREETS = ("Birch", "Heather", "Kestrel", "Moss", "Rowan", "Tarn", "Willow", "Fern", "Ridge")
_SUFFIXES = ("Lane", "Road", "Street", "Close", "Way", "Avenue")
_DOMAINS = ("example.com", "example.net", "example.org")
_REGIONS = {
    "North": ("Fellgate", "Harrowby", "Kirkmoor"),
    "South": ("Southmere", "Chalkbury", "Downley"),
    "East": ("Eastbrook", "Fenholt", "Marshby"),
    "West": ("Westcombe", "Tarnfield", "Cliffton"),
    "Central": ("Middlewick", "Brackenford", "Centrum"),
}
_GENDERS = ("female", "male", "non-binary", "undisclosed")
_GENDER_P = (0.49, 0.47, 0.02, 0.02)
_CATEGORIES = ("tents", "footwear", "apparel", "climbing", "camping", "accessories")


def _counts(n: int) -> np.ndarray:
    shares = np.array([s.share for s in SEGMENTS])
    counts = np.floor(shares * n).astype(int)
    for i in np.argsort(-(shares * n - counts))[: n - counts.sum()]:
        counts[i] += 1
    return counts


def _iban(rng: np.random.Generator) -> str:
    bban = "NWOO" + "".join(str(d) for d in rng.integers(0, 10, size=14))
    rearranged = bban + "GB00"
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    check = 98 - int(digits) % 97
    iban = f"GB{check:02d}{bban}"
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def _pick(rng: np.random.Generator, options: tuple[str, ...], size: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), size=size)]


def make_customers(
    n: int = 2000,
    random_state: int | list[int] = 0,
    *,
    segments_of: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.Series]:
    """Draw ``n`` fictional customers; returns (table, true segment name per row).

    The table's columns, in order: ``customer_id``, personal data (``name``,
    ``email``, ``phone``, ``iban``, ``address``), demographics (``age``,
    ``gender``, ``region``, ``city``, ``household_size``, ``income_band``),
    psychographics (``price_sensitivity`` 1–5, ``eco_conscious`` 0/1,
    ``tech_savviness`` 1–5), behaviour (``member_since``, ``orders_12m``,
    ``spend_12m``, ``avg_basket``, ``days_since_last_order``,
    ``app_sessions_month``, ``returns_rate``), ``preferred_channel`` and the
    outcomes ``responded_last_campaign`` and ``churned`` (0/1). Column types are
    those :func:`segments.read_table` gives for the CSV written from it.
    Vectorised: a million customers take a few seconds. ``segments_of`` fixes each
    row's true segment (numbers into :data:`SEGMENTS`) instead of drawing them: the
    same customers (ids by position) drawn again, as :func:`make_snapshot` does.
    """
    if n < len(SEGMENTS):
        raise ValueError(f"n must be at least {len(SEGMENTS)}")
    rng = np.random.default_rng(random_state)
    truth = np.repeat(np.arange(len(SEGMENTS)), _counts(n))
    rng.shuffle(truth)
    if segments_of is not None:
        truth = np.asarray(segments_of, dtype="int64")
        n = len(truth)
    columns: dict[str, np.ndarray] = {
        "age": np.zeros(n, dtype="int64"),
        "household_size": np.zeros(n, dtype="int64"),
        "income_band": np.empty(n, dtype=object),
        "price_sensitivity": np.zeros(n, dtype="int64"),
        "eco_conscious": np.zeros(n, dtype="int64"),
        "tech_savviness": np.zeros(n, dtype="int64"),
        "joined_year": np.zeros(n, dtype="int64"),
        "orders_12m": np.zeros(n, dtype="int64"),
        "basket": np.zeros(n, dtype="float64"),
        "days_since_last_order": np.zeros(n, dtype="int64"),
        "app_sessions_month": np.zeros(n, dtype="int64"),
        "returns_rate": np.zeros(n, dtype="float64"),
        "preferred_channel": np.empty(n, dtype=object),
        "responded_last_campaign": np.zeros(n, dtype="int64"),
        "churned": np.zeros(n, dtype="int64"),
    }
    for number, seg in enumerate(SEGMENTS):
        rows = np.flatnonzero(truth == number)
        m = len(rows)
        mean, sd, low, high = seg.age
        columns["age"][rows] = np.clip(np.round(rng.normal(mean, sd, m)), low, high)
        columns["household_size"][rows] = rng.choice(seg.household, size=m)
        income_p = np.array(seg.income) / sum(seg.income)
        columns["income_band"][rows] = np.asarray(INCOME_BANDS, dtype=object)[
            rng.choice(len(INCOME_BANDS), size=m, p=income_p)
        ]
        columns["price_sensitivity"][rows] = np.clip(
            np.round(rng.normal(seg.price_sensitivity, 0.6, m)), 1, 5
        )
        columns["eco_conscious"][rows] = rng.random(m) < seg.eco
        columns["tech_savviness"][rows] = np.clip(np.round(rng.normal(seg.tech, 0.6, m)), 1, 5)
        columns["joined_year"][rows] = rng.integers(seg.joined[0], seg.joined[1] + 1, size=m)
        if seg.orders == 0:
            orders = rng.choice([0, 0, 1], size=m)
            recency = np.where(
                orders > 0, rng.integers(200, 366, size=m), rng.integers(366, 800, size=m)
            )
        else:
            orders = np.maximum(1, rng.poisson(seg.orders, m))
            recency = np.minimum(365, rng.exponential(seg.recency, m).astype("int64"))
        columns["orders_12m"][rows] = orders
        columns["days_since_last_order"][rows] = recency
        columns["basket"][rows] = seg.basket * rng.lognormal(0.0, 0.25, m)
        columns["app_sessions_month"][rows] = rng.poisson(seg.app, m)
        columns["returns_rate"][rows] = np.round(rng.beta(2, 2 / seg.returns - 2, m), 3)
        channel_p = np.array(seg.channel) / sum(seg.channel)
        columns["preferred_channel"][rows] = np.asarray(CHANNELS, dtype=object)[
            rng.choice(len(CHANNELS), size=m, p=channel_p)
        ]
        columns["responded_last_campaign"][rows] = rng.random(m) < seg.respond
        columns["churned"][rows] = rng.random(m) < seg.churn
    columns["income_band"][rng.random(n) < 0.03] = None
    first, last = _pick(rng, _FIRST, n), _pick(rng, _LAST, n)
    regions = _pick(rng, tuple(_REGIONS), n)
    city_no = rng.integers(0, 3, size=n)
    cities = np.array([_REGIONS[r][c] for r, c in zip(regions, city_no, strict=True)], dtype=object)
    mail_no = rng.integers(1, 999, size=n)
    domains = _pick(rng, _DOMAINS, n)
    phones = rng.integers(0, 1000, size=n)
    house = rng.integers(1, 200, size=n)
    streets, suffixes = _pick(rng, _STREETS, n), _pick(rng, _SUFFIXES, n)
    genders = np.asarray(_GENDERS, dtype=object)[rng.choice(len(_GENDERS), size=n, p=_GENDER_P)]
    orders = columns["orders_12m"]
    spend = np.round(orders * columns["basket"], 2)
    recency = columns["days_since_last_order"]
    joined = pd.to_datetime(
        pd.DataFrame({"year": columns["joined_year"], "month": 1, "day": 1})
    ) + pd.to_timedelta(rng.integers(0, 365, size=n), unit="D")
    last_order = AS_OF - pd.to_timedelta(recency, unit="D")
    frame = pd.DataFrame(
        {
            "customer_id": [f"NW{i + 1:06d}" for i in range(n)],
            "name": [f"{a} {b}" for a, b in zip(first, last, strict=True)],
            "email": [
                f"{a.lower()}.{b.lower()}{k}@{d}"
                for a, b, k, d in zip(first, last, mail_no, domains, strict=True)
            ],
            "phone": [f"07700 900{p:03d}" for p in phones],
            "iban": [_iban(rng) for _ in range(n)],
            "address": [
                f"{h} {s} {x}, {c}"
                for h, s, x, c in zip(house, streets, suffixes, cities, strict=True)
            ],
            "age": columns["age"],
            "gender": genders,
            "region": regions,
            "city": cities,
            "household_size": columns["household_size"],
            "income_band": columns["income_band"],
            "price_sensitivity": columns["price_sensitivity"],
            "eco_conscious": columns["eco_conscious"],
            "tech_savviness": columns["tech_savviness"],
            "member_since": np.minimum(joined.to_numpy(), last_order.to_numpy()),
            "orders_12m": orders,
            "spend_12m": spend,
            "avg_basket": np.where(orders > 0, np.round(spend / np.maximum(orders, 1), 2), np.nan),
            "days_since_last_order": recency,
            "app_sessions_month": columns["app_sessions_month"],
            "returns_rate": columns["returns_rate"],
            "preferred_channel": columns["preferred_channel"],
            "responded_last_campaign": columns["responded_last_campaign"],
            "churned": columns["churned"],
        }
    )
    for column in _TEXT:
        frame[column] = frame[column].astype("str")
    frame["member_since"] = frame["member_since"].astype("datetime64[us]")
    truth_names = pd.Series(
        [SEGMENTS[i].name for i in truth], index=frame.index, name="true_segment", dtype="str"
    )
    return frame, truth_names


_COLUMNS = (
    "customer_id", "name", "email", "phone", "iban", "address",
    "age", "gender", "region", "city", "household_size", "income_band",
    "price_sensitivity", "eco_conscious", "tech_savviness",
    "member_since", "orders_12m", "spend_12m", "avg_basket", "days_since_last_order",
    "app_sessions_month", "returns_rate", "preferred_channel",
    "responded_last_campaign", "churned",
)  # fmt: skip
_TEXT = (
    "customer_id", "name", "email", "phone", "iban", "address", "gender", "region", "city",
    "income_band", "preferred_channel",
)  # fmt: skip


def make_transactions(customers: pd.DataFrame, random_state: int = 0) -> pd.DataFrame:
    """A purchase log consistent with ``customers`` (from :func:`make_customers`).

    Each customer has ``orders_12m`` purchases in the 365 days before
    :data:`AS_OF` whose amounts add up to ``spend_12m``, the newest one
    ``days_since_last_order`` days back; customers without an order in that
    window have one to three older purchases, the newest at their recency.
    Columns: ``transaction_id``, ``customer_id``, ``date``, ``amount`` (EUR),
    ``channel`` (online/app/store) and ``category``.
    """
    rng = np.random.default_rng([random_state, 1])
    records: list[tuple[str, pd.Timestamp, float, str, str]] = []
    channel_of = {
        "email": "online",
        "sms": "online",
        "phone": "online",
        "app": "app",
        "store": "store",
    }
    for row in customers.itertuples(index=False):
        recency = int(row.days_since_last_order)
        orders = int(row.orders_12m)
        if orders:
            amounts = rng.dirichlet(np.full(orders, 4.0)) * float(row.spend_12m)
            ages = np.sort(rng.integers(recency, 366, size=orders))
            ages[0] = recency
        else:
            count = int(rng.integers(1, 4))
            amounts = rng.lognormal(np.log(35.0), 0.3, size=count)
            ages = np.sort(rng.integers(recency, recency + 400, size=count))
            ages[0] = recency
        rounded = np.round(amounts, 2)
        if orders:
            rounded[-1] = round(float(row.spend_12m) - float(rounded[:-1].sum()), 2)
        preferred = channel_of[str(row.preferred_channel)]
        for age, amount in zip(ages, rounded, strict=True):
            channel = (
                preferred if rng.random() < 0.8 else str(rng.choice(["online", "app", "store"]))
            )
            records.append(
                (
                    str(row.customer_id),
                    AS_OF - pd.Timedelta(days=int(age)),
                    float(amount),
                    channel,
                    str(rng.choice(_CATEGORIES)),
                )
            )
    log = pd.DataFrame(records, columns=["customer_id", "date", "amount", "channel", "category"])
    log = log.sort_values(["date", "customer_id"], kind="stable").reset_index(drop=True)
    log.insert(0, "transaction_id", [f"T{i + 1:07d}" for i in range(len(log))])
    for column in ("transaction_id", "customer_id", "channel", "category"):
        log[column] = log[column].astype("str")
    log["date"] = log["date"].astype("datetime64[us]")
    return log


PLANTED_GROWTH = ("Loyal store regulars", "Lapsed bargain hunters", 0.4)
"""In a planted snapshot, this share of the first segment's customers lapse into the second."""
PLANTED_DRIFT = ("returns_rate", 0.04)
"""…and every customer's returns rate rises by this much."""


def make_snapshot(
    n: int = 2000, random_state: int = 0, *, change: bool = True, snapshot_state: int = 1
) -> tuple[pd.DataFrame, pd.Series]:
    """A later snapshot of the customers of ``make_customers(n, random_state)``.

    The same customers (same ids and true segments) drawn again with the seed
    ``snapshot_state``: behaviour varies as it would from one month to the next,
    and nothing else changes. With ``change``, three changes are planted:
    :data:`PLANTED_GROWTH` (some customers move, so a segment grows),
    :data:`PLANTED_DRIFT` (a feature drifts), and 2 % of the customers leave
    while 3 % new ones arrive. Returns (table, true segment name per row).
    """
    _, names = make_customers(n, random_state)
    index = {seg.name: i for i, seg in enumerate(SEGMENTS)}
    truth = names.map(index).to_numpy(dtype="int64")
    rng = np.random.default_rng([random_state, snapshot_state, 7])
    if change:
        source, target, share = PLANTED_GROWTH
        movers = np.flatnonzero(truth == index[source])
        moved = rng.choice(movers, size=round(share * len(movers)), replace=False)
        truth = truth.copy()
        truth[moved] = index[target]
        arrivals = round(0.03 * n)
        truth = np.concatenate([truth, rng.choice(truth, size=arrivals)])
    frame, truth_names = make_customers(
        len(truth), [random_state, snapshot_state], segments_of=truth
    )
    if change:
        column, rise = PLANTED_DRIFT
        frame[column] = np.round(np.clip(frame[column] + rise, 0.0, 1.0), 3)
        leaving = rng.choice(n, size=round(0.02 * n), replace=False)
        keep = np.ones(len(frame), dtype=bool)
        keep[leaving] = False
        frame, truth_names = frame[keep].reset_index(drop=True), truth_names[keep]
        truth_names = truth_names.reset_index(drop=True)
    return frame, truth_names


def write_sample_data(
    directory: str | Path, n: int = 2000, random_state: int = 0
) -> dict[str, Path]:
    """Write ``customers.csv``, ``transactions.csv`` and ``segments_truth.csv`` to ``directory``."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    customers, truth = make_customers(n, random_state)
    transactions = make_transactions(customers, random_state)
    paths = {
        "customers": out / "customers.csv",
        "transactions": out / "transactions.csv",
        "truth": out / "segments_truth.csv",
    }
    customers.to_csv(paths["customers"], index=False, date_format="%Y-%m-%d", lineterminator="\n")
    transactions.to_csv(
        paths["transactions"], index=False, date_format="%Y-%m-%d", lineterminator="\n"
    )
    pd.DataFrame({"customer_id": customers["customer_id"], "true_segment": truth}).to_csv(
        paths["truth"], index=False, lineterminator="\n"
    )
    return paths


if __name__ == "__main__":
    write_sample_data(sys.argv[1] if len(sys.argv) > 1 else "persona/sample_data")
