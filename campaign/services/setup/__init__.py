"""Setting a campaign up: campaigns and their lifecycle, frameworks, the unit tree, maps."""
