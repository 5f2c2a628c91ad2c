"""Organizations of owners: teams under an organization root, and model access controls."""
