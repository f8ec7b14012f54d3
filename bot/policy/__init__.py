"""The provider's support policy: the TOML file, its validation and the rules it configures. Imports only bot's kernel (errors, parsing) and bot.calendar."""
