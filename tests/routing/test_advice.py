"""The advice a new user gets for common mistakes."""

import pickle
import subprocess
import sys
import textwrap
import typing

import msgspec
import pytest
from msgspec import Struct

import jero
from jero import BaseApp, Endpoint, HTTPError, NotFoundError, Resource, WiringError
from jero.testing import TestClient


class Book(Struct):
    title: str


class Books(Resource, path="/books"):
    async def read_many(self) -> list[Book]:
        return []


class Health(Endpoint, path="/health"):
    async def get(self) -> str:
        return "ok"


def boot_error(wire: typing.Callable[[BaseApp], None]) -> str:
    class App(BaseApp):
        async def _wire(self) -> None:
            wire(self)

    with pytest.raises(WiringError) as caught, TestClient(App()):
        pass
    return str(caught.value)


def test_including_the_class_says_to_pass_an_instance() -> None:
    message = boot_error(lambda app: app._include_resource(Books))  # type: ignore[arg-type]
    assert message == "Books is a class; pass an instance: self._include_resource(Books())"


def test_including_a_resource_class_as_an_endpoint_names_the_right_method() -> None:
    message = boot_error(lambda app: app._include_endpoint(Books))  # type: ignore[arg-type]
    assert message == "Books is a class; pass an instance: self._include_resource(Books())"


def test_the_wrong_include_method_uses_the_right_article() -> None:
    message = boot_error(lambda app: app._include_endpoint(Books()))  # type: ignore[arg-type]
    assert message.startswith("Books is not an Endpoint; pass it to _include_resource")
    message = boot_error(lambda app: app._include_resource(Health()))  # type: ignore[arg-type]
    assert message.startswith("Health is not a Resource; pass it to _include_endpoint")


def test_a_sync_wire_is_a_wiring_error() -> None:
    class App(BaseApp):
        def _wire(self) -> None:  # type: ignore[override]
            self._include_endpoint(Health())

    with pytest.raises(WiringError, match=r"App\._wire must be `async def"), TestClient(App()):
        pass


# --- HTTPError class options ---------------------------------------------------------


def test_an_http_error_without_type_and_status_is_refused_at_class_creation() -> None:
    with pytest.raises(WiringError) as caught:

        class ShelfError(HTTPError):
            pass

    message = str(caught.value)
    assert "ShelfError declares no type and no status" in message
    assert 'type="shelf"' in message
    assert "abstract=True" in message


def test_a_type_without_a_status_is_refused() -> None:
    with pytest.raises(WiringError, match="LateError declares no status"):

        class LateError(HTTPError, type="late", title="Late"):
            pass


class Ref(Struct):
    shelf_id: str


def test_built_in_bases_and_abstract_intermediates_still_work() -> None:
    class ShelfMissingError(NotFoundError[Ref], type="shelf-missing", detail="No {shelf_id}"):
        pass

    class AppError(HTTPError, abstract=True):
        """A base of this app's errors, never raised itself."""

    class QuotaError(AppError, type="quota", title="Quota", status=429):
        pass

    assert ShelfMissingError(Ref("7")).problem().status == 404
    assert QuotaError().problem() == jero.Problem("quota", "Quota", 429)
    with pytest.raises(WiringError, match="OtherError declares no type and no status"):

        class OtherError(AppError):
            pass

    with pytest.raises(TypeError, match="AppError is declared abstract=True"):
        AppError()


# --- public classes show as jero.Name --------------------------------------------------

PUBLIC_CLASSES = [name for name in jero.__all__ if isinstance(getattr(jero, name), type)]


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_public_classes_show_as_jero_names_and_still_resolve(name: str) -> None:
    cls = getattr(jero, name)
    assert cls.__module__ == "jero"
    assert pickle.loads(pickle.dumps(cls)) is cls
    typing.get_type_hints(cls)  # annotations still resolve from the new module name


def test_wiring_error_reprs_and_pickles_as_jero() -> None:
    error = pickle.loads(pickle.dumps(WiringError("boom")))
    assert type(error) is WiringError
    assert f"{type(error).__module__}.{type(error).__qualname__}" == "jero.WiringError"
    assert msgspec.json.decode(b'{"type":"a","title":"b","status":400}', type=jero.Problem)


def test_a_failed_startup_in_the_test_client_prints_its_traceback_once() -> None:
    script = textwrap.dedent(
        """
        from jero import BaseApp, WiringError
        from jero.testing import TestClient

        class App(BaseApp):
            async def _wire(self):
                raise WiringError("the database is not configured")

        with TestClient(App()):
            pass
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.count("Traceback (most recent call last)") == 1
    assert 'raise WiringError("the database is not configured")' in done.stderr  # where it was
    assert done.stderr.rstrip().endswith("jero.WiringError: the database is not configured")
