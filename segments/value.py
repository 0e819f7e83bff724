"""Predicted customer value from a transaction log: BG/NBD and Gamma-Gamma.

* **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"):
  while alive, a customer buys at a Poisson rate λ ~ Gamma(r, α); after each
  purchase she drops out with probability p ~ Beta(a, b). From each customer's
  repeat purchases ``x``, the time of the last one ``t_x`` and her age ``T`` it
  gives P(alive) and the expected number of purchases in any future period.
* **Gamma-Gamma** (Fader & Hardie, "The Gamma-Gamma model of monetary value"):
  the mean spend per repeat purchase ``m_x`` of customers with ``x ≥ 1`` gives
  each customer's expected spend per purchase (shrunk towards the base's mean).

No maintained library installs here for both (``lifetimes`` and ``btyd`` are
archived; ``pymc-marketing`` needs Python ≥ 3.12), so the published
log-likelihoods are maximised with SciPy. On the CDNOW sample (39-week
calibration, weeks as the unit) this reproduces the papers' parameters; the test
suite checks it.

Time is measured in ``unit`` (weeks by default, as in the papers); purchases on
the same day count as one, and ``x`` counts repeat purchase days.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

from segments.errors import ValueFitError
from segments.logs import parse_dates

__all__ = [
    "BGNBDParams",
    "GammaGammaParams",
    "ValueFitError",
    "ValueReport",
    "customer_summary",
    "expected_purchases",
    "expected_spend",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "p_alive",
    "predict_value",
]

_UNITS = {"D": 1.0, "W": 7.0}


@dataclass(frozen=True)
class BGNBDParams:
    """Fitted BG/NBD parameters and the maximised log-likelihood."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe form."""
        return asdict(self)


@dataclass(frozen=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``v`` is the papers' γ) and the log-likelihood."""

    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int

    def to_dict(self) -> dict[str, float | int]:
        """JSON-safe form."""
        return asdict(self)


def customer_summary(
    log: pd.DataFrame,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    calibration_end: str | pd.Timestamp | None = None,
    unit: str = "W",
) -> pd.DataFrame:
    """Per customer: ``x``, ``t_x``, ``T`` (in ``unit``) and ``m_x`` up to ``calibration_end``.

    ``x`` is the number of repeat purchase days, ``t_x`` the time from the first to
    the last purchase, ``T`` the time from the first purchase to the end of the
    calibration period (default: the newest date in the log), ``m_x`` the mean
    spend of the repeat purchase days (NaN when ``x`` is 0). With ``quantity_column``
    the amount is a unit price (line value = price × quantity). Customers whose first
    purchase is after the end are left out. The index is the customer id.
    """
    if unit not in _UNITS:
        raise ValueFitError(f"unit={unit!r} is not known.", hint="Use 'W' (weeks) or 'D' (days).")
    days = pd.DataFrame(
        {
            "customer": log[customer_column].to_numpy(),
            "date": parse_dates(log[date_column]).dt.normalize().to_numpy(),
            "amount": _line_values(log, amount_column, quantity_column),
        }
    ).dropna(subset=["customer", "date", "amount"])
    end = days["date"].max() if calibration_end is None else pd.Timestamp(calibration_end)
    days = days[days["date"] <= end]
    if days.empty:
        raise ValueFitError(
            f"no purchase is on or before the calibration end {end.date()}.",
            hint="Choose a calibration end inside the log's dates.",
        )
    daily = days.groupby(["customer", "date"], sort=True)["amount"].sum().reset_index()
    grouped = daily.groupby("customer", sort=True)
    first = grouped["date"].min()
    last = grouped["date"].max()
    x = grouped.size() - 1
    scale = _UNITS[unit] * 86400.0
    is_first = daily["date"].to_numpy() == daily["customer"].map(first).to_numpy()
    repeat_spend = daily[~is_first].groupby("customer")["amount"].mean()
    return pd.DataFrame(
        {
            "x": x.astype("int64"),
            "t_x": (last - first).dt.total_seconds() / scale,
            "T": (end - first).dt.total_seconds() / scale,
            "m_x": repeat_spend.reindex(first.index),
        }
    )


def _line_values(log: pd.DataFrame, amount: str, quantity: str | None) -> np.ndarray:
    values = pd.to_numeric(log[amount], errors="coerce")
    if quantity is not None:
        values = values * pd.to_numeric(log[quantity], errors="coerce")
    return values.to_numpy(dtype="float64")


def _bgnbd_log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    r, alpha, a, b = params
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + x) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(a3, -np.inf)
    a4[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def _arrays(*columns: pd.Series | np.ndarray) -> list[np.ndarray]:
    return [np.asarray(c, dtype="float64") for c in columns]


# What the objective returns where the likelihood is not finite (SciPy needs a number).
_UNDEFINED = 1e300


def _maximise(negative_ll: object, start: np.ndarray, what: str) -> np.ndarray:
    """Maximise over log-parameters (they must stay positive); raise when it fails.

    ``negative_ll`` is the *mean* negative log-likelihood per customer, so the
    optimisers' absolute tolerances mean the same at any size. BFGS first (about
    130 evaluations on CDNOW and on a million customers); Nelder-Mead, then BFGS
    again, only when it does not converge (Nelder-Mead alone took about 1,000).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        best = optimize.minimize(negative_ll, np.log(start), method="BFGS")
        if not best.success or not np.isfinite(best.fun):
            options = {"maxiter": 20_000, "xatol": 1e-9, "fatol": 1e-9}
            found = optimize.minimize(
                negative_ll, np.log(start), method="Nelder-Mead", options=options
            )
            polished = optimize.minimize(negative_ll, found.x, method="BFGS")
            best = min(
                (best, found, polished), key=lambda r: r.fun if np.isfinite(r.fun) else np.inf
            )
    if not best.fun < _UNDEFINED or not np.all(np.isfinite(best.x)):
        raise ValueFitError(
            f"the {what} fit did not converge.",
            hint="Check the log for a few customers with extreme values, or use a longer "
            "calibration period.",
        )
    return np.exp(best.x)


def fit_bgnbd(
    x: pd.Series | np.ndarray, t_x: pd.Series | np.ndarray, T: pd.Series | np.ndarray
) -> BGNBDParams:
    """Maximum-likelihood BG/NBD parameters for customers with ``x``, ``t_x`` and ``T``.

    Raises:
        ValueFitError: fewer than 10 customers, nobody bought twice, or no convergence.
    """
    xs, txs, Ts = _arrays(x, t_x, T)
    if len(xs) < 10:
        raise ValueFitError(
            f"{len(xs)} customers are too few to fit the purchase model (at least 10).",
            hint="Use a log with more customers.",
        )
    if not (xs > 0).any():
        raise ValueFitError(
            "no customer bought more than once in the calibration period, so nothing "
            "tells how often customers come back.",
            hint="Use a longer calibration period (a later --calibration-end).",
        )
    if np.any(Ts <= 0) and np.all(Ts <= 0):
        raise ValueFitError(
            "every customer's first purchase is on the calibration end.",
            hint="Choose a later calibration end.",
        )

    def negative(log_params: np.ndarray) -> float:
        values = _bgnbd_log_likelihood(np.exp(log_params), xs, txs, Ts)
        total = float(values.sum())
        return -total / len(xs) if math.isfinite(total) else _UNDEFINED

    r, alpha, a, b = _maximise(negative, np.array([1.0, max(1.0, float(Ts.mean())), 1.0, 1.0]),
                               "purchase (BG/NBD)")  # fmt: skip
    ll = float(_bgnbd_log_likelihood(np.array([r, alpha, a, b]), xs, txs, Ts).sum())
    return BGNBDParams(float(r), float(alpha), float(a), float(b), ll, len(xs))


def p_alive(
    params: BGNBDParams,
    x: pd.Series | np.ndarray,
    t_x: pd.Series | np.ndarray,
    T: pd.Series | np.ndarray,
) -> np.ndarray:
    """Probability that each customer is still active at ``T`` (1 for ``x = 0``)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a) - np.log(b + xs - 1) + (r + xs) * (np.log(alpha + Ts) - np.log(alpha + txs))
        )
    return np.where(xs > 0, 1.0 / (1.0 + np.exp(np.where(xs > 0, log_odds, 0.0))), 1.0)


def expected_purchases(
    params: BGNBDParams,
    t: float,
    x: pd.Series | np.ndarray,
    t_x: pd.Series | np.ndarray,
    T: pd.Series | np.ndarray,
) -> np.ndarray:
    """Expected purchases of each customer in the next ``t`` time units (FHL 2005, eq. 10)."""
    xs, txs, Ts = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + Ts + t)
    hyper = special.hyp2f1(r + xs, b + xs, a + b + xs - 1, z)
    first = (a + b + xs - 1) / (a - 1)
    second = 1 - ((alpha + Ts) / (alpha + Ts + t)) ** (r + xs) * hyper
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(
            xs > 0,
            a / (b + xs - 1) * ((alpha + Ts) / (alpha + txs)) ** (r + xs),
            0.0,
        )
    return first * second / (1 + odds)


def _gamma_gamma_log_likelihood(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    p, q, v = params
    return (
        special.gammaln(p * x + q)
        - special.gammaln(p * x)
        - special.gammaln(q)
        + q * np.log(v)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(v + m * x)
    )


def fit_gamma_gamma(x: pd.Series | np.ndarray, m_x: pd.Series | np.ndarray) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from repeat buyers' ``x`` and mean spend.

    Customers with ``x = 0`` or no positive mean spend are left out, as in the paper.

    Raises:
        ValueFitError: fewer than 10 repeat buyers with positive spend, or no convergence.
    """
    xs, ms = _arrays(x, m_x)
    keep = (xs > 0) & np.isfinite(ms) & (ms > 0)
    xs, ms = xs[keep], ms[keep]
    if len(xs) < 10:
        raise ValueFitError(
            f"{len(xs)} repeat buyers with a positive spend are too few to fit the spend "
            "model (at least 10).",
            hint="Use a longer calibration period, or check that the amount column holds "
            "money (all-zero spend cannot be modelled).",
        )

    def negative(log_params: np.ndarray) -> float:
        total = float(_gamma_gamma_log_likelihood(np.exp(log_params), xs, ms).sum())
        return -total / len(xs) if math.isfinite(total) else _UNDEFINED

    p, q, v = _maximise(negative, np.array([1.0, 1.0, float(np.mean(ms))]), "spend (Gamma-Gamma)")
    ll = float(_gamma_gamma_log_likelihood(np.array([p, q, v]), xs, ms).sum())
    return GammaGammaParams(float(p), float(q), float(v), ll, len(xs))


def expected_spend(
    params: GammaGammaParams, x: pd.Series | np.ndarray, m_x: pd.Series | np.ndarray
) -> np.ndarray:
    """Expected spend per purchase of each customer.

    Customers with no repeat purchase, or whose repeat purchases net to no spend
    (returns), get the base's mean: the model has nothing of theirs to go on.
    """
    xs, ms = _arrays(x, m_x)
    p, q, v = params.p, params.q, params.v
    population = p * v / (q - 1) if q > 1 else np.nan
    known = (xs > 0) & np.isfinite(ms) & (ms > 0)
    ms = np.where(known, ms, 0.0)
    individual = (p * (v + xs * ms)) / (p * xs + q - 1)
    return np.where(known, individual, population)


@dataclass
class ValueReport:
    """Fitted value models and their predictions: per customer, in total, and on a holdout.

    ``customers`` is indexed by customer id (it stays inside the product: only
    :meth:`to_dict`'s aggregates are shown or exported, apart from the labels file).
    Its columns: ``x``, ``t_x``, ``T``, ``m_x``, ``p_alive``, ``expected_purchases``
    and ``expected_spend`` per purchase, and ``clv`` (their product) over ``horizon``.
    """

    bgnbd: BGNBDParams
    gamma_gamma: GammaGammaParams
    customers: pd.DataFrame
    horizon: float
    unit: str
    calibration_end: pd.Timestamp
    holdout: dict[str, float] | None = None

    def to_dict(self) -> dict[str, object]:
        """JSON-safe aggregates: parameters, totals and holdout figures (no customer ids)."""
        frame = self.customers
        clv = frame["clv"]
        top = clv >= clv.quantile(0.9)
        return {
            "bgnbd": {k: round(v, 6) for k, v in asdict(self.bgnbd).items() if k != "customers"},
            "gamma_gamma": {
                k: round(v, 6) for k, v in asdict(self.gamma_gamma).items() if k != "customers"
            },
            "customers": len(frame),
            "repeat_buyers": int((frame["x"] > 0).sum()),
            "unit": {"W": "weeks", "D": "days"}[self.unit],
            "calibration_end": self.calibration_end.date().isoformat(),
            "horizon": self.horizon,
            "predicted": {
                "purchases": round(float(frame["expected_purchases"].sum()), 2),
                "spend": round(float(clv.sum()), 2),
                "mean_p_alive": round(float(frame["p_alive"].mean()), 4),
                "mean_clv": round(float(clv.mean()), 2),
                "top_decile_share_of_value": round(float(clv[top].sum() / clv.sum()), 4)
                if clv.sum() > 0
                else None,
            },
            "holdout": self.holdout,
        }


def predict_value(
    log: pd.DataFrame,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str,
    quantity_column: str | None = None,
    calibration_end: str | pd.Timestamp | None = None,
    horizon: float = 52.0,
    unit: str = "W",
) -> ValueReport:
    """Fit BG/NBD and Gamma-Gamma on a log and predict each customer's value over ``horizon``.

    With ``calibration_end``, the models see only purchases up to it, and the
    purchases after it (up to one ``horizon`` later, or the log's end) are the
    holdout: predicted against actual repeat purchases per customer (mean absolute
    error, correlation) and in total.

    Raises:
        ValueFitError: the calibration end is outside the log, the holdout is empty,
            or a model cannot be fitted (the message says what to change).
    """
    dates = parse_dates(log[date_column]).dt.normalize()
    first_date, last_date = dates.min(), dates.max()
    if pd.isna(first_date):
        raise ValueFitError(
            "no date in the log can be read.",
            hint="Dates must be ISO (2024-03-31), YYYYMMDD, or typed dates.",
        )
    end = last_date if calibration_end is None else pd.Timestamp(calibration_end)
    if calibration_end is not None and not (first_date < end < last_date):
        raise ValueFitError(
            f"the calibration end {end.date()} is outside the log, which runs from "
            f"{first_date.date()} to {last_date.date()}.",
            hint="Choose a date between them, leaving purchases on both sides.",
        )
    summary = customer_summary(
        log,
        customer_column=customer_column,
        date_column=date_column,
        amount_column=amount_column,
        quantity_column=quantity_column,
        calibration_end=end,
        unit=unit,
    )
    bgnbd = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    spend = fit_gamma_gamma(summary["x"], summary["m_x"])
    frame = summary.copy()
    frame["p_alive"] = p_alive(bgnbd, frame["x"], frame["t_x"], frame["T"])
    frame["expected_purchases"] = expected_purchases(
        bgnbd, horizon, frame["x"], frame["t_x"], frame["T"]
    )
    frame["expected_spend"] = expected_spend(spend, frame["x"], frame["m_x"])
    frame["clv"] = frame["expected_purchases"] * frame["expected_spend"]
    holdout = None
    if calibration_end is not None:
        holdout = _holdout(log, customer_column, dates, end, last_date, horizon, unit, bgnbd, frame)
    return ValueReport(bgnbd, spend, frame, float(horizon), unit, end, holdout)


def _holdout(
    log: pd.DataFrame,
    customer_column: str,
    dates: pd.Series,
    end: pd.Timestamp,
    last_date: pd.Timestamp,
    horizon: float,
    unit: str,
    bgnbd: BGNBDParams,
    frame: pd.DataFrame,
) -> dict[str, float]:
    stop = min(last_date, end + pd.Timedelta(days=horizon * _UNITS[unit]))
    length = (stop - end).total_seconds() / (_UNITS[unit] * 86400.0)
    later = (dates > end) & (dates <= stop)
    days = pd.DataFrame({"customer": log[customer_column][later], "date": dates[later]})
    actual = days.drop_duplicates().groupby("customer").size()
    actual = actual.reindex(frame.index, fill_value=0).astype("float64")
    predicted = expected_purchases(bgnbd, length, frame["x"], frame["t_x"], frame["T"])
    correlation = float(np.corrcoef(predicted, actual)[0, 1]) if actual.std() > 0 else float("nan")
    return {
        "start": end.date().isoformat(),
        "end": stop.date().isoformat(),
        "length": round(length, 2),
        "actual_purchases": float(actual.sum()),
        "predicted_purchases": round(float(predicted.sum()), 2),
        "mean_absolute_error": round(float(np.mean(np.abs(predicted - actual))), 4),
        "correlation": round(correlation, 4),
    }
