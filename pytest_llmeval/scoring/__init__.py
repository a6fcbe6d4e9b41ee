"""Scorers that turn a model's response into a verdict: math checking, LLM-judge grading, and
the program in a reply for the code benchmarks."""
