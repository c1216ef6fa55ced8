"""Request parameters (`vision/params.py`): form values coerced to the declared types and
checked against their bounds, with messages a person understands."""

from __future__ import annotations

import math

import pytest

from modelgallery.vision.model import Param
from modelgallery.vision.params import ParamError, check_params, parse_params, validate_param


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("1", True),
        (" Yes ", True),
        ("on", True),
        (True, True),
        ("false", False),
        ("0", False),
        ("NO", False),
        ("off", False),
        (False, False),
    ],
)
def test_bool_params(raw, expected: bool) -> None:
    assert validate_param(Param(type="bool", default=False), raw) is expected


@pytest.mark.parametrize("raw", ["", "maybe", "2", "truthy"])
def test_bool_params_refuse_other_words(raw: str) -> None:
    with pytest.raises(ValueError, match="must be true or false"):
        validate_param(Param(type="bool", default=False), raw)


def test_int_params() -> None:
    param = Param(type="int", default=4, min=1, max=100)
    assert validate_param(param, "7") == 7 and isinstance(validate_param(param, "7"), int)
    assert validate_param(param, "7.0") == 7 and isinstance(validate_param(param, "7.0"), int)
    assert validate_param(param, 100) == 100
    for raw, message in [
        ("2.5", "must be a whole number"),
        ("0", "must be at least 1"),
        ("101", "must be at most 100"),
        ("two", "must be a number"),
        ("", "must be a number"),
        ("nan", "must be a finite number"),
        ("inf", "must be a finite number"),
        ("1e400", "must be a finite number"),
        ([1], "must be a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate_param(param, raw)


def test_float_params() -> None:
    param = Param(type="float", default=0.25, min=0, max=1)
    assert validate_param(param, "0.5") == 0.5
    assert validate_param(param, "1") == 1.0
    assert validate_param(param, " 0 ") == 0.0
    assert math.isclose(validate_param(param, "1e-3"), 0.001)
    for raw, message in [
        ("-0.01", "must be at least 0"),
        ("1.5", "must be at most 1"),
        ("-inf", "must be a finite number"),
        ("NaN", "must be a finite number"),
        ("half", "must be a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            validate_param(param, raw)
    unbounded = Param(type="float", default=0.0)
    assert validate_param(unbounded, "-1e9") == -1e9


def test_str_params() -> None:
    choice = Param(type="str", default="ok", choices=["ok", "fail"])
    assert validate_param(choice, "fail") == "fail"
    with pytest.raises(ValueError, match="must be one of: ok, fail"):
        validate_param(choice, "FAIL")
    free = Param(type="str", default="")
    assert validate_param(free, "any text") == "any text"
    assert validate_param(free, "x" * 200) == "x" * 200
    with pytest.raises(ValueError, match="too long"):
        validate_param(free, "x" * 201)


def test_list_params() -> None:
    param = Param(type="list", default=[], choices=["person", "car", "bus"])
    assert validate_param(param, "person,bus") == ["person", "bus"]
    assert validate_param(param, " person , car ,, ") == ["person", "car"]
    assert validate_param(param, ["car"]) == ["car"]
    assert validate_param(param, "") == []
    with pytest.raises(ValueError, match="unknown item"):
        validate_param(param, "person,dragon")
    free = Param(type="list", default=[])
    assert validate_param(free, "a,b") == ["a", "b"]


def test_none_stays_none() -> None:
    for kind in ("bool", "int", "float", "str", "list"):
        assert validate_param(Param(type=kind), None) is None


def test_form_fields_take_defaults_and_refuse_unknown_names() -> None:
    declared = {
        "conf": Param(type="float", default=0.25, min=0.01, max=0.99),
        "classes": Param(type="list"),
    }
    assert parse_params(declared, {"conf": "", "classes": "bus"}) == {
        "conf": 0.25,
        "classes": ["bus"],
    }
    with pytest.raises(ParamError, match="unknown parameter 'cof' .this model takes: conf, cl"):
        parse_params(declared, {"cof": "0.5"})
    with pytest.raises(ParamError, match="the parameter 'conf' must be at most 0.99"):
        check_params(declared, {"conf": 2})
    # a parameter with a label is named as people read it, and by its key for API clients
    labelled = {"conf": Param(type="float", default=0.25, max=0.99, label="Minimum confidence")}
    with pytest.raises(ParamError, match=r"^Minimum confidence \('conf'\) must be at most 0.99$"):
        check_params(labelled, {"conf": 2})
