"""Hourglass without Slack: a local Web API stand-in, the console REPL and the scripted demo. Each drives the real Bolt app it is handed."""
