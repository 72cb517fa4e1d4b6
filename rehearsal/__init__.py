"""The capacity rehearsal: drive a running server as browsers do, and a bare ceiling server.

A Django app of its own only so that its management command, `rehearse`, is found; the
harness itself imports no Django: `ceiling.py` runs as its own small process, and the driver
only speaks HTTP and WebSocket to the URL it is given. The command (and only it) reads the
product's models and limits.

    plan.py      what to run (Plan), and the few settings every part shares
    compare.py   the command's entry: our run, then the same against the ceiling
    run.py       one run (Rehearsal), composed of:
      members.py      the participants' browsers: joining, their sockets, what each hears
      votes.py        the positions and the vote schedule at the offered rate
      deliveries.py   matching votes with what the sockets received: fan-out, lost messages
      probe.py        a facilitator timing the synthesis pages and exports meanwhile
      actions.py      every request timed and recorded by kind of action
      ramp.py         rising rates on the same sockets, until the server falls behind
    scenario.py  the whole session at once (`rehearse --scenario`), built on run.py
    client.py    HTTP and WebSocket on asyncio streams (and a blocking socket for tests)
    ceiling.py   the bare asyncio broadcast server
    stats.py     percentiles and counters
"""
