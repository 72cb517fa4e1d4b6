"""Channels' WebSocket test client, patient on disconnect.

`WebsocketCommunicator.disconnect()` waits one second for the consumer to handle the
disconnect, then cancels it. A consumer's disconnect does real work (its presence row goes,
the room is told who is online), which on a loaded machine can take longer: it was cut off,
and the broadcast a test then waited for never came (a random failure of
test_presence_counts_participants_not_sockets_and_goes_with_the_socket in CI). Here the
wait is the tests' deadline for anything that must happen (tests/deadlines.py): it costs
nothing when the consumer is quick.
"""

from channels.testing import WebsocketCommunicator as ChannelsCommunicator

from tests.deadlines import DEADLINE


class WebsocketCommunicator(ChannelsCommunicator):
    async def disconnect(self, code: int = 1000, timeout: float = DEADLINE) -> None:
        await super().disconnect(code, timeout)
