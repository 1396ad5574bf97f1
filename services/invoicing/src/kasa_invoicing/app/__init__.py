"""The invoicing use cases: each takes plain inputs, a store and the event writer."""
