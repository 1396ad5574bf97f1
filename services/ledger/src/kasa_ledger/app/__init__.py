"""The ledger's use cases, one module per family: load, apply ``domain`` rules, store, write
events through the service's ``EventWriter``."""
