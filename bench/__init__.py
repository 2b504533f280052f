"""Benchmarks of payment_before_document (``make bench``); not tests."""
