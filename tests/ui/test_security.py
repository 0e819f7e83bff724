"""The app on a shared machine: a login when asked, a small named API, uploads not served.

Each test drives the real app on a loopback port: the browser through
Playwright and Debian's Chromium, scripts through ``gradio_client``.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from gradio_client import Client, handle_file

from persona.config import Settings
from persona.services import Services
from tests.ui.conftest import Recorder, serve
from tests.ui.helpers import draft_reply, shoot, wait_for_text
from ui.api import PUBLIC_ENDPOINTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAMPLE = Path(__file__).resolve().parents[2] / "persona" / "sample_data"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def _services(tmp_path: Path, **settings: Any) -> Services:
    replies = [draft_reply(name) for name in ("Ana Ruiz", "Ben Okafor", "Cleo Marsh")]
    replies.append("I plan trips early and buy what lasts.")
    return Services(
        Settings(home=tmp_path / "ws", llm_provider="fake", embeddings="hash", **settings),
        fake_replies=replies,
    )


def test_the_api_lists_only_the_public_endpoints_by_their_names(tmp_path: Path) -> None:
    with serve(_services(tmp_path)) as url:
        api = Client(url, verbose=False).view_api(print_info=False, return_format="dict")
    named = {name.strip("/") for name in api["named_endpoints"]}
    assert named == set(PUBLIC_ENDPOINTS)
    assert not api["unnamed_endpoints"]


def test_a_script_segments_generates_and_asks_through_the_api(tmp_path: Path) -> None:
    services = _services(tmp_path)
    with serve(services) as url:
        client = Client(url, verbose=False)
        run = client.predict(
            "default", handle_file(str(SAMPLE / "customers.csv")), "3", "cluster",
            api_name="/segment",
        )  # fmt: skip
        assert [s["index"] for s in run["segments"]] == [0, 1, 2]
        assert sum(s["size"] for s in run["segments"]) == 2000
        made = client.predict("default", None, api_name="/generate_personas")
        assert [m["status"] for m in made] == ["generated"] * 3
        listed = client.predict("default", api_name="/list_personas")
        assert {p["persona_id"] for p in listed} == {m["persona_id"] for m in made}
        reply = client.predict(
            "default", made[0]["persona_id"], "How do you plan a trip?", None,
            api_name="/ask_persona",
        )  # fmt: skip
        assert reply["answer"] and reply["interview_id"] and reply["synthetic"]
        assert "default" in client.predict(api_name="/list_projects")
    # Aggregates only: no customer id left through the API.
    ids = (SAMPLE / "customers.csv").read_text("utf-8").splitlines()[1].split(",")[0]
    assert ids not in repr((run, made, listed, reply))


def test_an_uploaded_table_is_not_served_once_the_app_has_read_it(
    tmp_path: Path, open_page: Callable[[str], tuple[Any, Recorder]]
) -> None:
    with serve(_services(tmp_path)) as url:
        # Control: a file uploaded but never read by a screen is served at its URL,
        # so a refusal below means the app removed it, not that the URL was wrong.
        with (SAMPLE / "transactions.csv").open("rb") as handle:
            control = httpx.post(f"{url}gradio_api/upload", files={"files": handle}).json()
        assert _status(f"{url}gradio_api/file={control[0]}") == 200

        page, recorder = open_page(url)
        page.locator("#data-file input[type=file]").set_input_files(str(SAMPLE / "customers.csv"))
        wait_for_text(page, "data-notes", r"2,000 rows")
        uploaded = page.evaluate(
            "() => [...document.querySelectorAll('#data-file a[href]')].map(a => a.href)"
        )
        assert uploaded, "the file box shows no link to the upload"
        # Gradio answers 403 for a path that is no longer in its cache.
        assert all(_status(href) in (403, 404) for href in uploaded), uploaded
        # The screen still works from its private copy: segments are found.
        page.locator("#data-run").click()
        page.wait_for_selector("#scorecard-table", timeout=120_000)
        assert not recorder.page_errors


def test_with_a_login_the_pages_and_the_api_ask_for_it(
    tmp_path: Path, open_page: Callable[..., tuple[Any, Recorder]], artifacts: Path
) -> None:
    services = _services(tmp_path, ui_auth=("ana", "s3cret"))
    with serve(services) as url:
        assert _status(f"{url}config") == 401
        with pytest.raises(Exception, match=r"(?i)login|401|auth"):
            Client(url, verbose=False)
        client = Client(url, auth=("ana", "s3cret"), verbose=False)
        assert "default" in client.predict(api_name="/list_projects")

        page, _recorder = open_page(url, ready="input[type=password]")
        shoot(page, artifacts, "login")
        assert page.locator("#project").count() == 0
        page.get_by_label("username").fill("ana")
        page.get_by_label("password").fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Incorrect Credentials").wait_for()
        page.get_by_label("username").fill("ana")
        page.get_by_label("password").fill("s3cret")
        page.get_by_role("button", name="Login").click()
        page.wait_for_selector("#project", timeout=120_000)


def test_two_people_at_once_do_not_see_each_others_unfinished_work(
    tmp_path: Path, open_page: Callable[..., tuple[Any, Recorder]]
) -> None:
    with serve(_services(tmp_path)) as url:
        first, _ = open_page(url)
        second, _ = open_page(url)  # another browser context: another person
        first.locator("#data-file input[type=file]").set_input_files(str(SAMPLE / "customers.csv"))
        wait_for_text(first, "data-notes", r"2,000 rows")
        second.reload()
        second.wait_for_selector("#project")
        assert "2,000 rows" not in second.locator("#data-notes").inner_text()
        assert second.locator("#data-preview").inner_text().count("customer_id") == 0
        # The second person works on another project meanwhile; the first is not moved.
        box = second.locator("#project input")
        box.fill("team-b")
        box.press("Enter")
        second.locator("#project-create").click()
        wait_for_text(second, "data-summary", r"No segmentation in this project yet")
        assert first.locator("#project input").input_value() == "default"
        assert "2,000 rows" in first.locator("#data-notes").inner_text()
