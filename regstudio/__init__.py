"""Regularization Studio: see overfitting happen, then fix it."""

__version__ = "0.1.0"
