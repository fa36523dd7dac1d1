"""Use cases the behaviour tests run; loomgen builds them for the generated mode."""
