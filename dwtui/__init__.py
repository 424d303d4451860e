"""dwtui: execute a staged runbook from a full-screen terminal checklist."""

__version__ = "0.1.0"
