"""The capacity rehearsal: drive a running server as browsers do, and a bare ceiling server.

Nothing in this package imports Django: `ceiling.py` runs as its own small process, and the
driver only speaks HTTP and WebSocket to the URL it is given. The management command
`rehearse` is the entry point.
"""
