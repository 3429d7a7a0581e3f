"""The widget's settings: parsed at startup, and a bad one stops the app with a line that names it."""
import pytest

from conftest import TEST_SECRETS
from soporte import create_app
from soporte.config import prechat_fields, widget_origins


BUILT = []


def build(tmp_path, **settings):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/w.sqlite",
                      **TEST_SECRETS, **settings}, instance_path=str(tmp_path / "instance"))
    BUILT.append(app)
    return app


@pytest.fixture(autouse=True)
def close_writers():
    """Each app built here stops its writer at the end of the test."""
    yield
    while BUILT:
        BUILT.pop().extensions["soporte"].writer.close(timeout=1)


def test_defaults_mean_no_framing_guests_on_a_name_and_no_identity(tmp_path):
    config = build(tmp_path).config
    assert config["WIDGET_ORIGINS"] == []
    assert config["GUESTS_ENABLED"] is True and config["GUEST_RATE_LIMIT"] == "5 per hour"
    assert config["PRECHAT_FIELDS"] == [("nombre", False)]
    assert config["IDENTITY_SECRET"] == ""


def test_origins_are_normalized_from_spaces_or_commas():
    assert widget_origins("https://www.Example.com, http://127.0.0.1:8080/  https://www.example.com") == [
        "https://www.example.com", "http://127.0.0.1:8080"]
    assert widget_origins("") == [] and widget_origins(None) == []


@pytest.mark.parametrize("origin", ["*", "https://*.example.com", "www.example.com", "ftp://example.com",
                                    "https://example.com/chat", "https://example.com?x=1", "https://u:p@example.com",
                                    "https://example.com:port", "https://"])
def test_a_bad_origin_stops_the_app_naming_the_setting(tmp_path, origin):
    with pytest.raises(SystemExit) as refused:
        build(tmp_path, WIDGET_ORIGINS=f"https://ok.example {origin}")
    assert "SOPORTE_WIDGET_ORIGINS" in str(refused.value) and "\n" not in str(refused.value)


def test_prechat_fields_say_which_and_whether_required():
    assert prechat_fields("nombre,email*") == [("nombre", False), ("email", True)]
    assert prechat_fields(" email* ") == [("email", True)]
    assert prechat_fields("") == []


@pytest.mark.parametrize("fields", ["telefono", "nombre,nombre", "email**", "nombre;email"])
def test_bad_prechat_fields_stop_the_app(tmp_path, fields):
    with pytest.raises(SystemExit) as refused:
        build(tmp_path, PRECHAT_FIELDS=fields)
    assert "SOPORTE_PRECHAT_FIELDS" in str(refused.value)


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    """SOPORTE_* variables as an operator sets them (from_prefixed_env reads `false` as JSON)."""
    monkeypatch.setenv("SOPORTE_WIDGET_ORIGINS", "https://www.example.com")
    monkeypatch.setenv("SOPORTE_GUESTS_ENABLED", "false")
    monkeypatch.setenv("SOPORTE_PRECHAT_FIELDS", "nombre*,email")
    config = build(tmp_path).config
    assert config["WIDGET_ORIGINS"] == ["https://www.example.com"]
    assert config["GUESTS_ENABLED"] is False
    assert config["PRECHAT_FIELDS"] == [("nombre", True), ("email", False)]


def test_a_short_identity_secret_or_a_non_boolean_switch_stops_the_app(tmp_path):
    with pytest.raises(SystemExit, match="SOPORTE_IDENTITY_SECRET"):
        build(tmp_path, IDENTITY_SECRET="corto")
    with pytest.raises(SystemExit, match="SOPORTE_GUESTS_ENABLED"):
        build(tmp_path, GUESTS_ENABLED="sí")


def test_guest_tokens_last_thirty_days_unless_set(tmp_path):
    assert build(tmp_path).config["GUEST_TOKEN_EXPIRES"] == 30 * 86400
    assert build(tmp_path, GUEST_TOKEN_EXPIRES=7200).config["GUEST_TOKEN_EXPIRES"] == 7200


@pytest.mark.parametrize("seconds", [0, -60, "3600", 1.5, True, None])
def test_a_bad_guest_token_lifetime_stops_the_app(tmp_path, seconds):
    with pytest.raises(SystemExit) as refused:
        build(tmp_path, GUEST_TOKEN_EXPIRES=seconds)
    assert "SOPORTE_GUEST_TOKEN_EXPIRES" in str(refused.value)
