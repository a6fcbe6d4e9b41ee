"""Scorers that turn a model's response into a verdict: math checking, LLM-judge grading,
multiple-choice letters (`choice`), IFEval's instruction checkers (`ifeval`) and the program
in a reply for the code benchmarks (`code`)."""
