"""Scorers that turn a model's response into a verdict: math checking, LLM-judge grading,
multiple-choice letters (`choice`) and IFEval's instruction checkers (`ifeval`)."""
