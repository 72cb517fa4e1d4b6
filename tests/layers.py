"""What the channel layer holds, for tests that check who would hear a group."""

from channels.layers import InMemoryChannelLayer, get_channel_layer


async def group_members(group_name: str) -> set[str]:
    """The channels the layer would deliver a group's messages to."""
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        return set(layer.groups.get(group_name, {}))
    # The publish/subscribe layer lists a group's channels in this process, per event loop.
    loop_layer = layer._get_layer()
    return set(loop_layer.groups.get(loop_layer._get_group_channel_name(group_name), set()))
