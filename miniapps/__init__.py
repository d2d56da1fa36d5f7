"""The mini-app platform: the SDK, the registry, consent, developer apps and OAuth.

First-party mini-apps live in sub-packages (`miniapps/<name>/`); each, like a third-party
one, imports nothing of the core but `miniapps.sdk`.
"""
