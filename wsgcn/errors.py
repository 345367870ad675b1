"""Exceptions that carry a message meant for the user (file or key, and the problem)."""


class WsgcnError(Exception):
    """Base class: a problem with the user's input, configuration or files."""


class InputError(WsgcnError):
    """A data file (image, mask, label, list) is missing or invalid."""


class ConfigError(WsgcnError):
    """A configuration value is missing, of the wrong type or out of range."""


class NumericalError(WsgcnError, FloatingPointError):
    """A model produced NaN or Inf (a loss, CAM, boundary map or score); nothing is written."""
