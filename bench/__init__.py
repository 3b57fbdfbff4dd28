"""FinCRM benchmarks: `make bench` prints one JSON line per figure, each with a same-run baseline."""
