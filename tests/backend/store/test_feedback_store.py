"""Users' flags on results in the store: the contract both backends keep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from modelgallery.store.base import Store
from modelgallery.store.feedback_records import (
    NOTE_MAX_CHARS,
    Correction,
    Flag,
    FlagBox,
    FlagQuery,
    FlagState,
)
from tests.backend.store.conftest import StoreFactory

T0 = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def _flag(flag_id: str, at: float, *, model: str = "yolo", job: str = "j1", **more: object) -> Flag:
    fields: dict[str, object] = {
        "id": flag_id,
        "job_id": job,
        "model": model,
        "model_version": "v1",
        "model_version_number": 1,
        "result_kind": "detections",
        "item_kind": "detections",
        "created_at": T0 + timedelta(minutes=at),
        **more,
    }
    return Flag.model_validate(fields)


def _ids(flags: list[Flag]) -> list[str]:
    return [f.id for f in flags]


async def test_a_flag_round_trips_exactly_with_its_correction(store: Store) -> None:
    correction = Correction(
        boxes=[FlagBox(label="bus", box=[1.5, 2, 300, 400.25])], wrong=[0, 3], label=None
    )
    flag = _flag(
        "f1",
        0,
        note="the bus is a truck ✓",
        correction=correction,
        user_id="u1",
        user_email="ada@example.org",
        file=2,
        result_kind="batch",
    )
    stored = await store.flags.create(flag)
    assert stored == flag
    assert await store.flags.get("f1") == flag
    assert await store.flags.get("nope") is None
    anonymous = await store.flags.create(_flag("f2", 1, owner="ab" * 32))
    assert anonymous.user_id is None and anonymous.correction is None


async def test_flags_are_listed_newest_first_filtered_and_paged(store: Store) -> None:
    await store.flags.create(_flag("a", 0))
    await store.flags.create(_flag("b", 1, model="faces", job="j2"))
    await store.flags.create(_flag("c", 2, model_version="v2", model_version_number=2))
    await store.flags.create(_flag("d", 3, job="j3", state=FlagState.dismissed))
    await store.flags.create(_flag("e", 3))  # the same time as d: ties go by id, descending

    everything = await store.flags.query(FlagQuery())
    assert _ids(everything.data) == ["e", "d", "c", "b", "a"] and everything.count == 5
    yolo = await store.flags.query(FlagQuery(model="yolo"))
    assert _ids(yolo.data) == ["e", "d", "c", "a"]
    assert _ids((await store.flags.query(FlagQuery(model="yolo", version="v2"))).data) == ["c"]
    assert _ids((await store.flags.query(FlagQuery(state=FlagState.dismissed))).data) == ["d"]
    assert _ids((await store.flags.query(FlagQuery(job_id="j1"))).data) == ["e", "c", "a"]
    page = await store.flags.query(FlagQuery(model="yolo", offset=1, limit=2))
    assert _ids(page.data) == ["d", "c"] and page.count == 4
    assert (await store.flags.query(FlagQuery(model="none"))).count == 0
    assert await store.flags.delete_of_job("j1") == 3
    assert _ids((await store.flags.query(FlagQuery())).data) == ["d", "b"]
    assert await store.flags.delete_of_job("j1") == 0


async def test_a_flag_state_changes_and_queries_follow(store: Store) -> None:
    await store.flags.create(_flag("a", 0))
    changed = await store.flags.update(
        "a",
        {"state": FlagState.resolved, "changed_at": T0 + timedelta(hours=1), "changed_by": "x@y"},
    )
    assert changed is not None and changed.state is FlagState.resolved
    assert changed.changed_at == T0 + timedelta(hours=1)
    assert (await store.flags.query(FlagQuery(state=FlagState.open))).count == 0
    assert _ids((await store.flags.query(FlagQuery(state=FlagState.resolved))).data) == ["a"]
    assert await store.flags.update("missing", {"state": FlagState.open}) is None
    with pytest.raises(ValueError):
        await store.flags.update("a", {"no_such_field": 1})


def test_a_flag_bounds_its_note_and_boxes() -> None:
    with pytest.raises(ValidationError):
        _flag("a", 0, note="x" * (NOTE_MAX_CHARS + 1))
    with pytest.raises(ValidationError):
        FlagBox(label="", box=[0, 0, 1, 1])
    with pytest.raises(ValidationError):
        FlagBox(label="cat", box=[0, 0, 1])
    with pytest.raises(ValidationError):
        FlagBox(label="cat", box=[0, 0, 1, float("inf")])
    assert Correction().empty and not Correction(wrong=[1]).empty


async def test_flags_survive_a_restart(make_store: StoreFactory) -> None:
    store = make_store()
    await store.open()
    flag = await store.flags.create(_flag("a", 0, correction=Correction(label="cat")))
    await store.close()
    reopened = make_store()
    await reopened.open()
    try:
        assert await reopened.flags.get("a") == flag
    finally:
        await reopened.close()
