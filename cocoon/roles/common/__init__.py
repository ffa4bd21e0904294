"""Pieces every role uses: decayed counters for the stats pages, config-file loading, the
stats web server, and how a dialer reaches a proxy (in-process RA-TLS or a local router)."""
