"""Recruitment lists: only the asked segment, never twice, do-not-contact honoured, ids only."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from persona.cli import main
from persona.errors import ResearchError
from persona.research.recruit import recruit
from persona.segmentation import SegmentationRun, run_segmentation
from persona.services import Services


def _ids(path: Path) -> list[str]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["customer_id"], "one column: the customer id, nothing else"
    assert all(len(r) == 1 for r in rows)
    return [r[0] for r in rows[1:]]


def test_lists_hold_only_the_segment_never_repeat_and_skip_do_not_contact(
    services: Services, segmented: SegmentationRun, table: Path
) -> None:
    frame = pd.read_csv(table, dtype=str, keep_default_na=False)
    blocked = set(frame.loc[frame["do_not_contact"] == "yes", "customer_id"])
    segment = segmented.segments[2]
    members = {str(c) for c, s in segmented.result.labels.items() if s == segment.segment_index}
    seen: set[str] = set()
    paths: set[Path] = set()
    for _ in range(3):
        done = recruit(services, segment, 40, exclude_column="do_not_contact")
        ids = _ids(done.path)
        assert len(ids) == len(set(ids)) == 40
        assert set(ids) <= members
        assert not set(ids) & blocked
        assert not set(ids) & seen, "a customer is never recruited twice across calls"
        seen |= set(ids)
        assert done.path.parent == services.settings.exports_path
        assert done.path not in paths, "a list never overwrites an earlier one"
        paths.add(done.path)
        assert sum(drawn for _s, _a, drawn in done.strata) == 40
    again = recruit(services, segment, 40, exclude_column="do_not_contact", allow_repeat=True)
    assert set(_ids(again.path)) <= members - blocked


def test_the_draw_is_stratified_over_the_main_traits(
    services: Services, segmented: SegmentationRun
) -> None:
    done = recruit(services, segmented.segments[0], 30, seed=1)
    assert done.traits
    for _stratum, available, drawn in done.strata:
        share = available / sum(a for _s, a, _d in done.strata)
        assert abs(drawn - 30 * share) <= 1


def test_bad_requests_are_clear_and_record_nothing(
    services: Services, segmented: SegmentationRun, tmp_path: Path
) -> None:
    segment = segmented.segments[1]
    with pytest.raises(ResearchError, match="cannot be drawn"):
        recruit(services, segment, segment.size + 1)
    with pytest.raises(ResearchError, match="no column 'dnc'"):
        recruit(services, segment, 5, exclude_column="dnc")
    tiny = type(segment)(**{**segment.__dict__, "size": 3})
    with pytest.raises(ResearchError, match="too small to recruit from"):
        recruit(services, tiny, 2)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ResearchError, match="nothing was recorded"):
        recruit(services, segment, 5, output=blocker / "x.csv")
    count = services.store.query_one("SELECT COUNT(*) FROM recruited_customers")
    assert count[0] == 0


def test_cli_recruit_with_formula_safe_ids(
    services: Services,
    segmented: SegmentationRun,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    out = tmp_path / "invite.csv"
    assert (
        main(["recruit", "0", "--n", "5", "--exclude-column", "do_not_contact", "-o", str(out)])
        == 0
    )
    assert "Wrote 5 customer ids" in capsys.readouterr().out
    assert len(_ids(out)) == 5
    assert main(["recruit", "0", "--n", "5", "--exclude-column", "nope"]) == 1
    assert "no column 'nope'" in capsys.readouterr().out


def test_a_transaction_log_is_aggregated_again_to_recruit(services: Services) -> None:
    log = Path(__file__).resolve().parents[2] / "persona" / "sample_data" / "transactions.csv"
    run = run_segmentation(services, log, k=3)
    segment = max(run.segments, key=lambda s: s.size)
    done = recruit(services, segment, 10, seed=0)
    members = {str(c) for c, s in run.result.labels.items() if s == segment.segment_index}
    assert set(_ids(done.path)) <= members and done.missing_from_table == 0
