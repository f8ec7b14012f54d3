"""The provider's support policy: the TOML file, its validation and the rules it configures. May import only bot's kernel and bot.calendar; no storage."""
