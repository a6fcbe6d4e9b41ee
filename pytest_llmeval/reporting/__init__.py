"""From records to what a user reads: rows, the table, report files, gates, pages."""
