"""One module per workflow step (``python -m wsgcn STEP``), each a function from files to
files, as in IRNet's ``step/`` folder.

A step's results are keyed by the digest of the source files its module imports
(:func:`wsgcn.provenance.code_digest`), and its rule lists the same files as inputs; so
editing the random walk, say, reruns the random-walk step only, never IRNet's training.
"""
