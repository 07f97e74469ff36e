"""Discord: the discord.py client and adapter, embeds, and where the client connects (the `discord` extra)."""
