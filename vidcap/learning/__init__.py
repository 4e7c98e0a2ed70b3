"""Learning: training and evaluating the narrator, datasets, distillation, generated films."""
