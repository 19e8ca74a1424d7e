"""What the agent allows: trust list, remembered consents, rate limits, the replay cache."""
