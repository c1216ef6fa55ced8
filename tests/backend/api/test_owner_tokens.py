"""An anonymous visitor's prediction: its link lets anyone view it; cancelling and deleting
it need the owner token the visitor's browser holds (a cookie; a header for API clients),
and it joins the visitor's history when they sign up or log in. On SQLite and MongoDB."""

from __future__ import annotations

import uuid

import httpx

from tests.support.jobs import submit
from tests.support.server import BackendServer

OWNER_HEADER = "X-Owner-Token"


def _visitor(server: BackendServer) -> httpx.Client:
    return server.client()


def test_the_link_lets_others_view_but_only_the_owner_delete(server: BackendServer) -> None:
    with _visitor(server) as maker, _visitor(server) as stranger:
        made = submit(maker, wait=30)
        job = made.json()
        token = made.headers[OWNER_HEADER]
        assert maker.cookies.get("mg_owner") == token  # HttpOnly, on /api
        assert "httponly" in made.headers["set-cookie"].lower()
        assert job["anonymous"] and job["yours"]
        # The same browser keeps one token for all its uploads.
        assert submit(maker, wait=30).headers[OWNER_HEADER] == token

        seen = stranger.get(f"/api/predictions/{job['id']}")
        assert seen.status_code == 200 and not seen.json()["yours"]
        assert stranger.get(job["artifacts"][0]["url"]).status_code == 200
        for refused in (
            stranger.delete(f"/api/predictions/{job['id']}"),
            stranger.post(f"/api/predictions/{job['id']}/cancel"),
            # a token that is not this job's (the stranger's own) does not help either
            stranger.delete(
                f"/api/predictions/{job['id']}",
                headers={OWNER_HEADER: "x" * 43},
            ),
        ):
            assert refused.status_code == 403
            assert "link lets others view it" in refused.json()["detail"]
        assert maker.get(f"/api/predictions/{job['id']}").json()["yours"]

        # An API client sends the token back in the header.
        headers = {OWNER_HEADER: token}
        assert stranger.delete(f"/api/predictions/{job['id']}", headers=headers).status_code == 204
        assert maker.get(f"/api/predictions/{job['id']}").status_code == 404


def test_a_mangled_owner_cookie_does_not_stop_an_upload(server: BackendServer) -> None:
    with _visitor(server) as visitor:
        visitor.cookies.set("mg_owner", "not a token", path="/api")
        made = submit(visitor, wait=30)
        assert made.status_code == 200
        assert made.headers[OWNER_HEADER] != "not a token"
        assert made.json()["yours"]


def test_predictions_join_the_account_the_visitor_signs_up_or_logs_in_to(
    server: BackendServer,
) -> None:
    email = f"visitor-{uuid.uuid4().hex[:8]}@example.org"
    with _visitor(server) as browser:
        before = submit(browser, wait=30).json()
        signed_up = browser.post(
            "/api/auth/signup", json={"email": email, "password": "a long password"}
        )
        assert signed_up.status_code == 201, signed_up.text
        assert browser.cookies.get("mg_owner") is None  # the next visitor starts afresh
        headers = {"Authorization": f"Bearer {signed_up.json()['access_token']}"}
        history = browser.get("/api/predictions", headers=headers).json()
        assert [j["id"] for j in history["data"]] == [before["id"]]
        assert not history["data"][0]["anonymous"] and history["data"][0]["yours"]

        # Logged out, the browser's next anonymous prediction joins at the next log-in.
        browser.post("/api/auth/logout", headers=headers)
        browser.cookies.clear()
        later = submit(browser, wait=30).json()
        logged_in = browser.post(
            "/api/auth/login", json={"email": email, "password": "a long password"}
        )
        assert logged_in.status_code == 200, logged_in.text
        headers = {"Authorization": f"Bearer {logged_in.json()['access_token']}"}
        ids = {j["id"] for j in browser.get("/api/predictions", headers=headers).json()["data"]}
        assert ids == {before["id"], later["id"]}

    # Now an account's prediction: private, as any signed-in user's.
    with _visitor(server) as stranger:
        assert stranger.get(f"/api/predictions/{before['id']}").status_code == 404
