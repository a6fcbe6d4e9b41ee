"""BFCL v3 (Berkeley Function Calling Leaderboard) scoring, as the official checker scores."""
