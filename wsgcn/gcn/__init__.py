"""Stage I core of WSGCN: partial labels, the per-image graph, the GCN and its decoding."""
