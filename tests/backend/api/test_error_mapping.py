"""Every kind of refusal a service can raise leaves the API with its own status."""

from __future__ import annotations

from modelgallery.api.errors import _STATUS_OF
from modelgallery.services import errors


def test_every_service_error_has_a_status() -> None:
    kinds = set(errors.ServiceError.__subclasses__())
    assert kinds == set(_STATUS_OF)
    assert len(set(_STATUS_OF.values())) == len(_STATUS_OF)
