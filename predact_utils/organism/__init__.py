"""The model organism: a synthetic world with a known next-token distribution, where the trade-off between
predicting (world modeling) and acting (reward) is measured exactly."""
