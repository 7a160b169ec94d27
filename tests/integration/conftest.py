"""Integration tier: handlers invoked in-process against moto, resources created from template.yaml."""

from collections.abc import Iterator

import pytest
from moto import mock_aws

from local.inprocess import LambdaHarness, _forget_function_modules, reset_common_state
from local.provision import Provisioner
from local.template import Stack


@pytest.fixture
def stack() -> Iterator[Stack]:
    """A fresh in-memory AWS with every data resource of the template (one source of truth)."""
    with mock_aws():
        reset_common_state()
        local_stack = Stack.from_file()
        Provisioner(local_stack, endpoint_url=None).create_all()
        yield local_stack
    _forget_function_modules()
    reset_common_state()


@pytest.fixture
def lambdas(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> LambdaHarness:
    return LambdaHarness(stack, monkeypatch)
