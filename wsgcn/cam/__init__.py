"""Class activation maps: training the classifier, multi-scale inference, evaluation."""
