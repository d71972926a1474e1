"""Test support shared by every suite: the real local HTTP server (`tests.support.server`)."""
