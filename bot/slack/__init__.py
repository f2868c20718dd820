"""The Slack side of meterbot: the Bolt app, its listeners and pure view builders."""
