"""What managers read: the monthly statement (live, or frozen once issued) and the balance, assembled from every feature. The top of the domain: nothing in bot imports it."""
