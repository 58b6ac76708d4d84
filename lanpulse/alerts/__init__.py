"""Alert rules, the evaluation engine (a state machine per series) and notifiers."""
