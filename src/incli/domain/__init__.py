"""Pure domain logic: incidents, the lifecycle, ids, durations. No I/O."""
