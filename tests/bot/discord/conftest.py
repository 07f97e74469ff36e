"""The Discord tests' fixtures: a fake Discord world and the bot connected to it."""

from tests.support.discord_world import bot, corpus_copy, world  # noqa: F401 - fixtures, used by name
