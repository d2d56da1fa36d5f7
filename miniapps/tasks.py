"""Loaded by the core in the app and in workers: registers the in-process mini-apps' jobs."""

from miniapps.registry import get_registry

get_registry().register_jobs()
