"""Segmentation metrics and result tables."""
