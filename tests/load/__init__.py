"""Many concurrent executions, in process and over HTTP, in both execution modes."""
