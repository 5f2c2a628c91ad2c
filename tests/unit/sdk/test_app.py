from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import BaseModel

from impasto.sdk import App, AppSettings, NoInput, endpoint


class In(BaseModel):
    prompt: str


class Out(BaseModel):
    text: str


class MyGoodApp(App, keep_alive=300, max_multiplexing=4):
    min_concurrency = 1
    max_concurrency = 3

    @endpoint("/")
    def run(self, inp: In) -> Out:
        return Out(text=inp.prompt)

    @endpoint("/dev")
    async def dev(self, inp: In) -> Out:
        return Out(text=inp.prompt)

    @endpoint("/stream")
    def stream(self, inp: In) -> Iterator[Out]:
        yield Out(text=inp.prompt)

    @endpoint("/astream")
    async def astream(self, inp: In) -> AsyncIterator[Out]:
        yield Out(text=inp.prompt)

    @endpoint("/ping")
    def ping(self) -> Out:
        return Out(text="pong")

    def helper(self) -> None:
        """Not an endpoint."""


def test_name_defaults_to_kebab_case_and_keywords_set_settings() -> None:
    assert MyGoodApp.app_name == "my-good-app"
    assert MyGoodApp.settings == AppSettings(
        keep_alive=300, min_concurrency=1, max_concurrency=3, max_multiplexing=4
    )
    assert MyGoodApp.keep_alive == 300
    assert MyGoodApp.request_timeout == AppSettings().request_timeout


def test_name_keyword_and_inheritance() -> None:
    class Base(App, name="base-app", request_timeout=60):
        @endpoint("/")
        def run(self, inp: In) -> Out:
            return Out(text="base")

    class Child(Base, name="child"):
        @endpoint("/extra")
        def extra(self, inp: In) -> Out:
            return Out(text="extra")

    assert Base.app_name == "base-app"
    assert Child.app_name == "child"
    assert Child.settings.request_timeout == 60
    assert [spec.path for spec in Child.endpoints()] == ["/", "/extra"]


def test_endpoints_are_found_in_declaration_order_with_their_kinds() -> None:
    specs = {spec.path: spec for spec in MyGoodApp.endpoints()}
    assert list(specs) == ["/", "/dev", "/stream", "/astream", "/ping"]
    assert (specs["/"].kind, specs["/"].is_async) == ("unary", False)
    assert (specs["/dev"].kind, specs["/dev"].is_async) == ("unary", True)
    assert (specs["/stream"].kind, specs["/stream"].is_async) == ("streaming", False)
    assert (specs["/astream"].kind, specs["/astream"].is_async) == ("streaming", True)
    assert specs["/stream"].output_model is Out
    assert specs["/ping"].input_model is NoInput
    assert not specs["/ping"].takes_input
    assert MyGoodApp.endpoint_for("/dev") is specs["/dev"]
    assert MyGoodApp.endpoint_for("/nope") is None


def test_overriding_without_the_decorator_removes_the_endpoint() -> None:
    class Quiet(MyGoodApp):
        def dev(self, inp: In) -> Out:  # type: ignore[override]
            return Out(text="plain method")

    assert "/dev" not in [spec.path for spec in Quiet.endpoints()]


def test_init_may_not_be_overridden() -> None:
    with pytest.raises(TypeError, match="setup"):

        class Bad(App):
            def __init__(self) -> None:
                pass


def test_unknown_keywords_and_bad_settings_are_refused() -> None:
    with pytest.raises(TypeError, match="unknown app settings"):

        class Typo(App, keepalive=3):  # type: ignore[call-arg]
            pass

    with pytest.raises(ValueError, match="max_multiplexing"):

        class Zero(App, max_multiplexing=0):
            pass

    with pytest.raises(ValueError, match="min_concurrency"):

        class Inverted(App, min_concurrency=3, max_concurrency=1):
            pass

    with pytest.raises(ValueError, match="request_timeout"):

        class Negative(App, request_timeout=-1):
            pass


def test_bad_endpoint_signatures_are_explained() -> None:
    class NoAnnotation(App):
        @endpoint("/")
        def run(self, inp):  # type: ignore[no-untyped-def]
            return None

    with pytest.raises(TypeError, match="input must be annotated with a pydantic model"):
        NoAnnotation.endpoints()

    class BadStream(App):
        @endpoint("/")
        def run(self, inp: In) -> Out:  # type: ignore[misc]
            yield Out(text="x")

    with pytest.raises(TypeError, match="Iterator"):
        BadStream.endpoints()

    class Twice(App):
        @endpoint("/")
        def one(self, inp: In) -> Out:
            return Out(text="1")

        @endpoint("")
        def two(self, inp: In) -> Out:
            return Out(text="2")

    with pytest.raises(TypeError, match="several endpoints"):
        Twice.endpoints()

    class Empty(App):
        pass

    with pytest.raises(TypeError, match="no @endpoint"):
        Empty.endpoints()
