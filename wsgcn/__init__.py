"""wsgcn: weakly-supervised semantic segmentation with graph convolutional networks.

A plain Python package: algorithms, I/O and metrics for every stage of the WSGCN
pipeline. It knows nothing of Snakemake; the workflow in ``workflow/`` calls it
through the command line in :mod:`wsgcn.cli`.
"""

__version__ = "0.1.0"
