"""Settlement with every party (A1, OPS6, C4): agreements, runs per organiser and period that
split the organiser's payable into the parties' shares, and their statements."""
