"""Moved to local/inprocess.py (shared with the benchmarks); kept as the tests' import path."""

from local.inprocess import EVENTS, FakeContext, LambdaHarness, reset_common_state, sample_event

__all__ = ["EVENTS", "FakeContext", "LambdaHarness", "reset_common_state", "sample_event"]
