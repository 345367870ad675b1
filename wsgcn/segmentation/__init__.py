"""Stage II: the training set from pseudo labels, DeepLabv2 training, inference + CRF."""
