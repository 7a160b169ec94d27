"""Settings are validated at cold start and name what is missing."""

import pytest

from portal_common.settings import PortalSettings, SettingsError, load_settings


def test_missing_variables_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an environment without COMPANY_NAME
    load_settings.cache_clear()
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "x")
    monkeypatch.delenv("COMPANY_NAME", raising=False)
    # When the settings load, Then the error names the variable
    with pytest.raises(SettingsError, match="COMPANY_NAME"):
        load_settings(PortalSettings)
    load_settings.cache_clear()


def test_settings_read_upper_case_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    load_settings.cache_clear()
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("COMPANY_NAME", "Acme")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "x")
    settings = load_settings(PortalSettings)
    assert (settings.stage, settings.company_name) == ("prod", "Acme")
    load_settings.cache_clear()
