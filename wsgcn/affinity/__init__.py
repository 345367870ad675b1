"""Stage I affinity: IR labels, the IRNet boundary network, and the random walk."""
