"""What a run gives back beyond the terminal: report files and the results viewer."""
