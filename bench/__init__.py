"""`make bench`: throughput and cold-start figures, each beside a baseline measured in the same run."""
