"""Crash-safe file output and the per-image HDF5 store."""
