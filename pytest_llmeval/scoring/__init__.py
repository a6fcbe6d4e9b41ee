"""Scorers that turn a model's response into a verdict: math checking and LLM-judge grading."""
