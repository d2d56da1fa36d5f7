"""Mutual recognition: the trust list of other issuers and the verifier of their codes."""
