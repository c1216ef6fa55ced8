"""Every JSON body the API answers has a named schema in the OpenAPI document, so the web
UI's generated types describe it and no client writes a response's shape by hand."""

from __future__ import annotations

from modelgallery.app import create_app


def test_every_json_answer_has_a_named_schema() -> None:
    document = create_app().openapi()
    untyped = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if schema is None:
                    continue  # not JSON (a file, an event stream, 204)
                if "$ref" not in schema.get("items", schema):
                    untyped.append(f"{method.upper()} {path} {status}: {schema}")
    assert untyped == []


def test_the_admin_answers_describe_their_fields() -> None:
    schemas = create_app().openapi()["components"]["schemas"]
    for name in ("StatsOut", "StatsDay", "StatsModel", "StorageSpace", "WorkerOut"):
        properties = schemas[name]["properties"]
        described = [field for field, spec in properties.items() if spec.get("description")]
        assert described, f"{name} describes none of its fields"
    assert schemas["JobPublic"]["properties"]["main_output"]["description"]
    assert schemas["ModelPublic"]["properties"]["extensions"]["description"]


def test_a_job_that_found_nothing_to_work_on_says_so_in_its_outcome() -> None:
    from modelgallery.api.schemas.jobs import JobPublic
    from modelgallery.store.records import Job, JobStatus

    def answer(status: JobStatus, result: dict[str, object] | None) -> str | None:
        return JobPublic.of(Job(model="skin", status=status, result=result)).outcome

    assert (
        answer(JobStatus.succeeded, {"nothing_found": True, "finding": "skull"}) == "nothing_found"
    )
    # the skin model's results from before the flag: `skin_found: false` alone
    assert answer(JobStatus.succeeded, {"skin_found": False}) == "nothing_found"
    assert answer(JobStatus.succeeded, {"skin_found": True}) == "found"
    assert answer(JobStatus.succeeded, None) == "found"
    assert answer(JobStatus.failed, {"nothing_found": True}) is None
